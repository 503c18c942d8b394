/**
 * The published shape: `scripts/pack.mjs` packs the one tarball users install, npm installs it
 * globally into a throwaway prefix on a clean HOME, and the installed `sylk` runs the offline demo
 * and starts, serves and stops the sylkd it finds through module resolution. Needs a build.
 *
 * No @sylk/* name may reach a registry (those names on the public registry are not ours): the
 * scope's registry is pointed at a closed local port, so any such lookup fails the install.
 * Third-party packages come from the user's npm cache (or registry). better-sqlite3 is installed
 * from a local prebuild made of the checkout's own binary, the way prebuild-install would fetch one,
 * instead of compiling SQLite for minutes.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, daemonPidsOf, killDaemonOf, parseJson } from '../helpers/sylk.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env, cwd: env.HOME, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const npmVersion = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const skipReason =
  process.platform !== 'linux' && process.platform !== 'darwin'
    ? `Sylk runs on Linux and macOS, not ${process.platform}`
    : npmVersion.status !== 0
      ? 'npm is not on PATH: nothing to pack or install with'
      : undefined;
if (skipReason) console.warn(`install-pack: skipped: ${skipReason}`);

/** The user's npm setup (cache, registry, CA) carries over to the install; their HOME does not. */
function npmConfig(key: string): string {
  return spawnSync('npm', ['config', 'get', key], { encoding: 'utf8', cwd: tmpdir() }).stdout.trim();
}

/** The checkout's better-sqlite3 binary as the prebuild tarball prebuild-install looks for. */
function localPrebuild(dir: string): string {
  const pkgFile = createRequire(join(ROOT, 'package.json')).resolve('better-sqlite3/package.json');
  const { version } = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  const tar = spawnSync('tar', ['-czf', join(dir, name), '-C', dirname(pkgFile), 'build/Release/better_sqlite3.node']);
  if (tar.status !== 0) throw new Error(`packing the local better-sqlite3 prebuild failed: ${String(tar.stderr)}`);
  return dir;
}

const STALE_CHUNK = join(ROOT, 'daemon', 'dist', 'chunks', 'chunk-STALE000.js');

describe.skipIf(skipReason !== undefined)('npm install -g of the packed tarball', () => {
  const VERSION = (JSON.parse(readFileSync(join(ROOT, 'cli', 'package.json'), 'utf8')) as { version: string }).version;
  let base = '';
  let prefix = '';
  let sylkHome = '';
  let env: NodeJS.ProcessEnv = {};
  let entries: string[] = [];
  let manifest: { engines?: unknown } = {};

  beforeAll(async () => {
    // Short base: the demo's and the test's daemon sockets live below it.
    base = mkdtempSync(join(tmpdir(), 'sylk-pk-'));
    prefix = join(base, 'prefix');
    sylkHome = join(base, 's');
    const home = join(base, 'home');
    mkdirSync(home);
    const npmSetup = {
      cache: npmConfig('cache'),
      userconfig: npmConfig('userconfig'),
      globalconfig: npmConfig('globalconfig'),
    };
    // A chunk of another build, as a turbo cache restore after a checkout leaves one: not shipped.
    writeFileSync(STALE_CHUNK, 'export {};\n');
    const packed = await run(
      process.execPath,
      [join(ROOT, 'scripts', 'pack.mjs'), '--out', join(base, 'out')],
      process.env,
      120_000,
    );
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = packed.stdout.trim();
    entries = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
      .stdout.split('\n')
      .filter(Boolean);
    manifest = JSON.parse(spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }).stdout);

    const npmEnv: NodeJS.ProcessEnv = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: home,
      TMPDIR: base,
      LANG: 'C.UTF-8',
      npm_config_better_sqlite3_local_prebuilds: localPrebuild(join(base, 'prebuilds')),
    };
    const install = await run(
      'npm',
      [
        'install',
        '--global',
        `--prefix=${prefix}`,
        `--cache=${npmSetup.cache}`,
        `--userconfig=${npmSetup.userconfig}`,
        `--globalconfig=${npmSetup.globalconfig}`,
        '--prefer-offline',
        '--fetch-retries=0',
        '--@sylk:registry=http://127.0.0.1:9/',
        '--allow-scripts=better-sqlite3',
        '--no-audit',
        '--no-fund',
        '--loglevel=http',
        tarball,
      ],
      npmEnv,
      600_000,
    );
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/@sylk%2f/);

    env = {
      PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: home,
      TMPDIR: base,
      LANG: 'C.UTF-8',
      NO_COLOR: '1',
      SYLK_HOME: sylkHome,
      SYLK_SOCKET: join(sylkHome, 'run', 'sylkd.sock'),
    };
  }, 900_000);

  afterAll(async () => {
    rmSync(STALE_CHUNK, { force: true });
    if (sylkHome) await killDaemonOf(sylkHome);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("declares the project's Node engines, so npm (and sylk doctor) can tell an older Node", () => {
    const rootEngines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: unknown }).engines;
    expect(manifest.engines).toEqual(rootEngines);
  });

  it('ships the built programs and their run-time assets, and no sources, tests or source maps', () => {
    const files = entries.map((e) => e.replace(/^package\//, ''));
    for (const needed of [
      'bin/sylk.cjs',
      'dist/sylk.cjs',
      'demo/scenario.yaml',
      'demo/project/src/math.test.js',
      'node_modules/@sylk/daemon/bin/sylkd.js',
      'node_modules/@sylk/daemon/dist/main.js',
      'node_modules/@sylk/daemon/src/web/assets/index.html',
      'node_modules/@sylk/emulator/bin/sylk-emulator.js',
      'node_modules/@sylk/config/schema/config.schema.json',
    ])
      expect(files).toContain(needed);
    const demo = (f: string) => f.startsWith('demo/');
    const webAssets = (f: string) => f.startsWith('node_modules/@sylk/daemon/src/web/assets/');
    const unwanted = files.filter(
      (f) =>
        f.endsWith('.map') ||
        f.endsWith('.cache') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        (/\.test\.[jt]s$/.test(f) && !demo(f)) ||
        (/(^|\/)src\//.test(f) && !demo(f) && !webAssets(f)) ||
        /(^|\/)(testing|test-support|test-fixtures)(\/|\.)/.test(f),
    );
    expect(unwanted).toEqual([]);
    const chunksDir = 'node_modules/@sylk/daemon/dist/chunks/';
    const chunks = files.filter((f) => f.startsWith(chunksDir) && f !== `${chunksDir}chunks.json`);
    const listed = JSON.parse(readFileSync(join(ROOT, 'daemon', 'dist', 'chunks', 'chunks.json'), 'utf8')) as string[];
    expect(chunks.sort()).toEqual(listed.map((c) => `${chunksDir}${c}`).sort());
  });

  it('sylk --version and sylkd --version run from the prefix', async () => {
    for (const program of ['sylk', 'sylkd']) {
      const r = await run(join(prefix, 'bin', program), ['--version'], env, 30_000);
      expect(r.code, `${program}: ${r.stderr}`).toBe(0);
      expect(r.stdout, program).toContain(VERSION);
    }
  });

  it('sylk demo --yes: the installed sylkd, emulator and demo project fix the failing test', async () => {
    const r = await run(join(prefix, 'bin', 'sylk'), ['demo', '--yes', '--json'], env, 180_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"demo"'));
    expect(line, r.stdout).toBeDefined();
    expect(parseJson<{ demo: { testsPass: boolean } }>(line ?? '').demo.testsPass).toBe(true);
  });

  it('sylk starts the installed sylkd on demand, serves the dashboard from it, and daemon stop ends it', async () => {
    const sylk = join(prefix, 'bin', 'sylk');
    const status = await run(sylk, ['--json', 'status'], env, 60_000);
    expect(status.code, status.stderr).toBe(0);
    const pids = daemonPidsOf(sylkHome);
    expect(pids).toHaveLength(1);
    if (existsSync(`/proc/${pids[0]}/cmdline`))
      expect(readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8')).toContain(join(prefix, 'lib', 'node_modules'));

    const web = await run(sylk, ['--json', 'web'], env, 60_000);
    expect(web.code, web.stderr).toBe(0);
    const { url } = parseJson<{ url: string }>(web.stdout);
    // The first visit trades the token for a cookie and is sent on to the page itself.
    const first = await fetch(url, { redirect: 'manual' });
    const cookie = first.headers.get('set-cookie')?.split(';')[0] ?? '';
    const location = first.headers.get('location') ?? '';
    expect(cookie, `status ${first.status}`).not.toBe('');
    for (const path of [location, '/assets/app.js', '/assets/style.css']) {
      const res = await fetch(new URL(path, url), { headers: { cookie } });
      expect(res.status, path).toBe(200);
      expect((await res.text()).length, path).toBeGreaterThan(0);
    }

    const stop = await run(sylk, ['daemon', 'stop'], env, 60_000);
    expect(stop.code, stop.stderr).toBe(0);
    expect(daemonPidsOf(sylkHome)).toEqual([]);
  });
});
