#!/usr/bin/env node
// Packs Sylk as one installable tarball: @sylk/cli with the daemon, the emulator (for
// `sylk demo`) and every internal package bundled inside it (bundleDependencies).
// `npm install -g sylk-cli-<version>.tgz` (or `npm install -g @sylk/cli` once published) puts
// `sylk` and `sylkd` on PATH, never looks up another @sylk/* name in a registry, and installs
// internal packages built together. Each workspace is packed by npm from its own `files`;
// third-party dependencies stay ordinary dependencies of the tarball, so npm fetches them (and
// the native modules' binaries) for the user's platform. Needs a build first (`npm run build`).
//
//   node scripts/pack.mjs [--out DIR]     prints the tarball's path
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const out = resolve(outFlag > 0 ? process.argv[outFlag + 1] : root);
const MAIN = '@sylk/cli';

const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const tar = (args) => execFileSync('tar', args, { stdio: ['ignore', 'ignore', 'inherit'] });
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/** Every third-party dependency of the bundle, once; two workspaces asking for different ranges is an error. */
function thirdPartyDependencies(manifests) {
  const merged = {};
  for (const m of manifests) {
    for (const [name, range] of Object.entries(m.dependencies ?? {})) {
      if (name.startsWith('@sylk/')) continue;
      if (merged[name] !== undefined && merged[name] !== range)
        throw new Error(
          `${m.name} wants ${name}@${range}, another workspace ${merged[name]}: align them before packing`,
        );
      merged[name] = range;
    }
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Leaves in the daemon's dist/chunks only the chunks its build listed (chunks.json): a turbo cache
 * restore can leave another build's chunks beside them, which nothing would load.
 */
function dropUnlistedChunks(daemonDir) {
  const dir = join(daemonDir, 'dist', 'chunks');
  const listed = new Set(readJson(join(dir, 'chunks.json')));
  for (const file of readdirSync(dir)) if (file !== 'chunks.json' && !listed.has(file)) rmSync(join(dir, file));
}

const work = mkdtempSync(join(tmpdir(), 'sylk-pack-'));
try {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const packed = JSON.parse(npm(['pack', '--workspaces', '--json', '--pack-destination', tarballs], root));
  const main = packed.find((p) => p.name === MAIN);
  if (!main) throw new Error(`npm pack --workspaces did not pack ${MAIN}`);
  const stage = join(work, 'package');
  mkdirSync(stage);
  tar(['-xzf', join(tarballs, main.filename), '-C', stage, '--strip-components=1']);
  const bundled = packed.filter((p) => p !== main);
  for (const p of bundled) {
    const dir = join(stage, 'node_modules', ...p.name.split('/'));
    mkdirSync(dir, { recursive: true });
    tar(['-xzf', join(tarballs, p.filename), '-C', dir, '--strip-components=1']);
  }
  const manifestFile = join(stage, 'package.json');
  const manifest = readJson(manifestFile);
  const inner = bundled.map((p) => join(stage, 'node_modules', ...p.name.split('/'), 'package.json'));
  manifest.dependencies = {
    ...thirdPartyDependencies([manifest, ...inner.map(readJson)]),
    ...Object.fromEntries(bundled.map((p) => [p.name, p.version])),
  };
  manifest.bundleDependencies = bundled.map((p) => p.name);
  // npm warns on (with engine-strict, refuses) an older Node; sylk doctor checks it against this too.
  manifest.engines = readJson(join(root, 'package.json')).engines;
  // npm links only the top package's programs: sylkd (install-service, by hand) is linked from inside.
  const daemon = 'node_modules/@sylk/daemon';
  dropUnlistedChunks(join(stage, daemon));
  manifest.bin = { ...manifest.bin, sylkd: `${daemon}/${readJson(join(stage, daemon, 'package.json')).bin.sylkd}` };
  writeJson(manifestFile, manifest);
  // npm counts a dependency of a bundled package as part of the bundle (and then neither fetches
  // nor builds it): the bundled manifests keep only their @sylk/* dependencies, the third-party
  // ones are the top package's, which Node's resolution finds from the bundled packages too.
  for (const file of inner) {
    const m = readJson(file);
    m.dependencies = Object.fromEntries(Object.entries(m.dependencies ?? {}).filter(([n]) => n.startsWith('@sylk/')));
    delete m.devDependencies;
    writeJson(file, m);
  }
  mkdirSync(out, { recursive: true });
  const [result] = JSON.parse(npm(['pack', '--json', '--pack-destination', out], stage));
  process.stdout.write(`${join(out, result.filename)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
