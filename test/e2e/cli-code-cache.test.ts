/**
 * bin/sylk.cjs runs the bundle through a V8 code cache that grows the first time each command
 * runs. Exercised on a copy of the launcher with a tiny stand-in bundle, so the real cache in
 * cli/dist (shared by parallel tests) is never touched.
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
  const cache = join(root, 'dist', 'sylk.cjs.cache');
  return {
    run: (...args: string[]) =>
      execFileSync(process.execPath, [join(root, 'bin', 'sylk.cjs'), ...args], { encoding: 'utf8' }),
    rebuild: (text: string) => writeFileSync(join(root, 'dist', 'sylk.cjs'), text),
    cache,
    commands: () => (existsSync(`${cache}.commands`) ? readFileSync(`${cache}.commands`, 'utf8').split('\n') : []),
    written: () => statSync(cache).mtimeMs,
    files: () => readdirSync(join(root, 'dist')),
  };
}

const bundle = (tag: string) =>
  `'use strict';\nfunction greet(args) { return '${tag} ' + args.join(' '); }\nprocess.stdout.write(greet(process.argv.slice(2)));\n`;

describe('the CLI launcher’s code cache', () => {
  it('is written on the first run of each command, cumulatively, and left alone after', async () => {
    const cli = install(bundle('v1'));
    expect(cli.run('status')).toBe('v1 status');
    expect(cli.commands()).toEqual(['status']);
    const first = cli.written();
    await new Promise((r) => setTimeout(r, 20));
    expect(cli.run('--json', 'status')).toBe('v1 --json status');
    expect(cli.written()).toBe(first); // covered: no rewrite
    expect(cli.run('--socket', '/x/s.sock', 'ls', '--all')).toBe('v1 --socket /x/s.sock ls --all');
    expect(cli.commands()).toEqual(['status', 'ls']);
    expect(cli.run('--version')).toBe('v1 --version');
    expect(cli.commands()).toEqual(['status', 'ls', '-']);
  });

  it('starts over when the bundle changes, and runs without a cache where it cannot write', () => {
    const cli = install(bundle('v1'));
    cli.run('status');
    cli.run('ls');
    cli.rebuild(bundle('version-two')); // another length: V8 rejects the old cache
    expect(cli.run('attach', 'x')).toBe('version-two attach x');
    expect(cli.commands()).toEqual(['attach']);
    // Something that cannot be replaced where the cache goes (as root, a read-only dir would not stop us).
    rmSync(cli.cache);
    mkdirSync(join(cli.cache, 'in-the-way'), { recursive: true });
    expect(cli.run('status')).toBe('version-two status');
    expect(cli.files().filter((f) => f.startsWith('sylk.cjs.cache.') && f !== 'sylk.cjs.cache.commands')).toEqual([]);
  });
});
