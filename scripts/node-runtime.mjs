// Finds a Node.js that satisfies the project's engines, installing one from the
// npm registry (node-<platform>-<arch>, the official binaries packaged by the
// Node project) into .node/<version>/ when the machine's own is too old. Plain
// JavaScript that runs on old Node lines too: it is what upgrades them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** "v22.12.0" or "22.12.0" → [22, 12, 0]. */
function parseVersion(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text).trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The lowest version an engines range such as ">=22.12" allows: [22, 12, 0]. */
export function engineFloor(range) {
  const m = /^>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(String(range).trim());
  if (!m) throw new Error(`engines.node must be a ">=x.y" range, not "${range}"`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** Whether `version` is at least the floor of an engines range. */
export function satisfiesFloor(version, range) {
  const want = engineFloor(range);
  const v = parseVersion(version);
  if (!v) throw new Error(`cannot read the Node version "${version}"`);
  for (let i = 0; i < 3; i++) if (v[i] !== want[i]) return v[i] > want[i];
  return true;
}

export function projectNode(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return {
    engines: pkg.engines.node,
    pinned: readFileSync(join(root, '.node-version'), 'utf8').trim(),
  };
}

/** Where a project-local Node of `version` lives (its bin/node, include/node headers). */
function localNodeDir(root, version) {
  return join(root, '.node', version);
}

/**
 * Installs Node `version` into .node/<version>/ unless it is there. The registry
 * package carries bin/node and the headers native modules build against.
 */
export function installLocalNode(root, version, log) {
  const dir = localNodeDir(root, version);
  if (existsSync(join(dir, 'bin', 'node'))) return dir;
  const name = `node-${process.platform}-${process.arch}`;
  log(`installing Node ${version} from the npm registry (${name}) into .node/${version}/ (once)…`);
  const work = mkdtempSync(join(tmpdir(), 'sylk-node-'));
  try {
    const pack = spawnSync('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', work], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (pack.status !== 0 || !tarball)
      throw new Error(`npm pack ${name}@${version} failed (exit ${pack.status}); is the npm registry reachable?`);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    const tar = spawnSync('tar', ['xzf', join(work, tarball), '-C', unpacked, '--strip-components=1'], {
      stdio: 'inherit',
    });
    if (tar.status !== 0) throw new Error(`unpacking ${tarball} failed (exit ${tar.status})`);
    if (!existsSync(join(unpacked, 'bin', 'node'))) throw new Error(`${name}@${version} has no bin/node`);
    mkdirSync(join(root, '.node'), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The environment that makes `node`, npm's scripts and node-gyp use the Node in `dir`. */
export function envForNode(dir, env) {
  const sep = process.platform === 'win32' ? ';' : ':';
  return { ...env, PATH: `${join(dir, 'bin')}${sep}${env.PATH ?? ''}`, npm_config_nodedir: dir };
}
