/**
 * bin/sylk.cjs runs the bundle through a V8 code cache per command, written by that command's
 * first run. Exercised on a copy of the launcher with a tiny stand-in bundle, so the real caches
 * in cli/dist (shared by parallel tests) are never touched.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDirs } from '@sylk/config';
import { CLI } from '../helpers/sylk.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** This process's environment without anything that chooses Sylk's cache directory. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['SYLK_HOME', 'SYLK_CACHE_DIR', 'XDG_CACHE_HOME']) delete env[name];
  return env;
}

function install(bundle: string, envOf: (root: string) => NodeJS.ProcessEnv = () => ({})) {
  const root = mkdtempSync(join(tmpdir(), 'sylk-cache-'));
  dirs.push(root);
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist'));
  copyFileSync(CLI, join(root, 'bin', 'sylk.cjs'));
  writeFileSync(join(root, 'dist', 'sylk.cjs'), bundle);
  const cacheOf = (command: string) => join(root, 'dist', `sylk.cjs.${command}.cache`);
  const files = () => readdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'package.json'), '{"version":"1.0.0"}');
  const env = { ...cleanEnv(), HOME: join(root, 'home'), ...envOf(root) };
  // Where @sylk/config puts Sylk's cache for this environment.
  const codeCaches = join(resolveDirs(env, { platform: process.platform }).cache, 'cli-code');
  return {
    run: (...args: string[]) =>
      execFileSync(process.execPath, [join(root, 'bin', 'sylk.cjs'), ...args], { encoding: 'utf8', env, cwd: root }),
    /** The caches kept for this install in Sylk's cache directory, by build. */
    userCaches: () => {
      const installs = existsSync(codeCaches) ? readdirSync(codeCaches) : [];
      return installs.flatMap((install) =>
        readdirSync(join(codeCaches, install)).map((build) => ({
          build,
          files: readdirSync(join(codeCaches, install, build)),
          dir: join(codeCaches, install, build),
        })),
      );
    },
    /** Everything under the install's directory but its own bin/ and dist/. */
    strays: () =>
      readdirSync(root).filter(
        (f) => !['bin', 'dist', 'package.json', 'home', 'sylk-home', 'xdg', 'explicit'].includes(f),
      ),
    rebuild: (text: string) => writeFileSync(join(root, 'dist', 'sylk.cjs'), text),
    cacheOf,
    caches: () =>
      files()
        .filter((f) => f.endsWith('.cache'))
        .sort(),
    written: (command: string) => statSync(cacheOf(command)).mtimeMs,
    files,
  };
}

const bundle = (tag: string) =>
  `'use strict';\nfunction greet(args) { return '${tag} ' + args.join(' '); }\nprocess.stdout.write(greet(process.argv.slice(2)));\n`;

describe('the CLI launcher’s code cache', () => {
  it('is written by the first run of each command, one per command, and left alone after', async () => {
    const cli = install(bundle('v1'));
    expect(cli.run('status')).toBe('v1 status');
    expect(cli.caches()).toEqual(['sylk.cjs.status.cache']);
    const first = cli.written('status');
    await new Promise((r) => setTimeout(r, 20));
    expect(cli.run('--json', 'status')).toBe('v1 --json status');
    expect(cli.written('status')).toBe(first); // it has one: no rewrite
    expect(cli.run('--socket', '/x/s.sock', 'ls', '--all')).toBe('v1 --socket /x/s.sock ls --all');
    expect(cli.run('--version')).toBe('v1 --version');
    expect(cli.run('../../etc')).toBe('v1 ../../etc'); // not a word: never part of a file name
    expect(cli.caches()).toEqual([
      'sylk.cjs._.cache',
      'sylk.cjs._other.cache',
      'sylk.cjs.ls.cache',
      'sylk.cjs.status.cache',
    ]);
  });

  it('keeps at most 40 caches (typos are command words too)', () => {
    const cli = install(bundle('v1'));
    for (let i = 0; i < 40; i++) writeFileSync(cli.cacheOf(`typo-${String.fromCharCode(97 + (i % 26))}${i}`), '');
    expect(cli.run('status')).toBe('v1 status');
    expect(existsSync(cli.cacheOf('status'))).toBe(false);
    expect(cli.caches()).toHaveLength(40);
  });

  it('rewrites a cache the bundle no longer matches, in place', () => {
    const cli = install(bundle('v1'));
    cli.run('attach', 'x');
    const stale = readFileSync(cli.cacheOf('attach'));
    cli.rebuild(bundle('version-two')); // another length: V8 rejects the old cache
    expect(cli.run('attach', 'x')).toBe('version-two attach x');
    expect(readFileSync(cli.cacheOf('attach')).equals(stale)).toBe(false);
    expect(cli.userCaches()).toEqual([]);
  });

  it('goes to the user’s cache directory where the install’s cannot be written, one build kept', async () => {
    const cli = install(bundle('v1'));
    // Something that cannot be replaced where the cache goes (as root, a read-only dir would not stop us).
    mkdirSync(join(cli.cacheOf('status'), 'in-the-way'), { recursive: true });
    expect(cli.run('status')).toBe('v1 status');
    expect(cli.files().filter((f) => /\.cache\.\d+$/.test(f))).toEqual([]); // no temporary file left
    const [first] = cli.userCaches();
    expect(first?.files).toEqual(['sylk.cjs.status.cache']);
    const written = statSync(join(first!.dir, 'sylk.cjs.status.cache')).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(cli.run('status')).toBe('v1 status');
    expect(statSync(join(first!.dir, 'sylk.cjs.status.cache')).mtimeMs).toBe(written); // read, accepted
    cli.rebuild(bundle('version-two'));
    expect(cli.run('status')).toBe('version-two status');
    const after = cli.userCaches();
    expect(after).toHaveLength(1); // the first build's caches are gone
    expect(after[0]?.build).not.toBe(first?.build);
    expect(after[0]?.files).toEqual(['sylk.cjs.status.cache']);
  });

  it.each([
    ['HOME', () => ({})],
    ['XDG_CACHE_HOME', (root: string) => ({ XDG_CACHE_HOME: join(root, 'xdg') })],
    ['a relative XDG_CACHE_HOME (ignored)', () => ({ XDG_CACHE_HOME: 'relative' })],
    ['SYLK_HOME', (root: string) => ({ SYLK_HOME: join(root, 'sylk-home'), XDG_CACHE_HOME: join(root, 'xdg') })],
    [
      'SYLK_CACHE_DIR',
      (root: string) => ({ SYLK_HOME: join(root, 'sylk-home'), SYLK_CACHE_DIR: join(root, 'explicit') }),
    ],
  ])('finds Sylk’s cache directory as @sylk/config does, by %s', (_name, envOf) => {
    const cli = install(bundle('v1'), envOf);
    mkdirSync(join(cli.cacheOf('status'), 'in-the-way'), { recursive: true });
    expect(cli.run('status')).toBe('v1 status');
    expect(cli.userCaches().map((c) => c.files)).toEqual([['sylk.cjs.status.cache']]);
    expect(cli.strays()).toEqual([]);
  });
});
