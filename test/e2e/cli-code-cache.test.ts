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
import { CLI } from '../helpers/sylk.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function install(bundle: string) {
  const root = mkdtempSync(join(tmpdir(), 'sylk-cache-'));
  dirs.push(root);
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist'));
  copyFileSync(CLI, join(root, 'bin', 'sylk.cjs'));
  writeFileSync(join(root, 'dist', 'sylk.cjs'), bundle);
  const cacheOf = (command: string) => join(root, 'dist', `sylk.cjs.${command}.cache`);
  const files = () => readdirSync(join(root, 'dist'));
  const userCache = join(root, 'user-cache');
  writeFileSync(join(root, 'package.json'), '{"version":"1.0.0"}');
  return {
    run: (...args: string[]) =>
      execFileSync(process.execPath, [join(root, 'bin', 'sylk.cjs'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, HOME: root, XDG_CACHE_HOME: userCache },
      }),
    /** The caches kept for this install in the user's cache directory, by build. */
    userCaches: () => {
      const installs = existsSync(join(userCache, 'sylk', 'cli-code'))
        ? readdirSync(join(userCache, 'sylk', 'cli-code'))
        : [];
      return installs.flatMap((install) => {
        const dir = join(userCache, 'sylk', 'cli-code', install);
        return readdirSync(dir).map((build) => ({
          build,
          files: readdirSync(join(dir, build)),
          dir: join(dir, build),
        }));
      });
    },
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
});
