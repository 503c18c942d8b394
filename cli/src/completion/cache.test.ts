import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileCache } from './cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const runtimeDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sylk-complete-'));
  dirs.push(d);
  return join(d, 'run');
};

describe('completion cache', () => {
  it('answers for the TTL, from a private file it creates', () => {
    const dir = runtimeDir();
    let now = 1_000;
    const cache = fileCache(dir, () => now);
    expect(cache.get('sessions')).toBeUndefined();
    cache.set('sessions', ['kind-fox'], 5_000);
    now += 4_999;
    expect(fileCache(dir, () => now).get('sessions')).toEqual(['kind-fox']);
    now += 1;
    expect(cache.get('sessions')).toBeUndefined();
    expect(statSync(join(dir, 'completion-cache.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('keeps other keys and drops expired ones on write, each with its own TTL', () => {
    const dir = runtimeDir();
    let now = 0;
    const cache = fileCache(dir, () => now);
    cache.set('a', 1, 5_000);
    now = 3_000;
    cache.set('b', 2, 5_000);
    expect([cache.get('a'), cache.get('b')]).toEqual([1, 2]);
    cache.set('tree', { name: 'sylk' }, 86_400_000);
    now = 6_000;
    cache.set('c', 3, 5_000);
    const reread = fileCache(dir, () => now);
    expect([reread.get('a'), reread.get('b'), reread.get('c'), reread.get('tree')]).toEqual([
      undefined,
      2,
      3,
      { name: 'sylk' },
    ]);
  });

  it('ignores a file others can write, and garbage', () => {
    const dir = runtimeDir();
    const cache = fileCache(dir, () => 10);
    cache.set('sessions', ['mine'], 5_000);
    const file = join(dir, 'completion-cache.json');
    chmodSync(file, 0o666);
    expect(fileCache(dir, () => 10).get('sessions')).toBeUndefined();
    writeFileSync(file, 'not json', { mode: 0o600 });
    chmodSync(file, 0o600);
    const fresh = fileCache(dir, () => 10);
    expect(fresh.get('sessions')).toBeUndefined();
    fresh.set('sessions', ['again'], 5_000);
    expect(fileCache(dir, () => 10).get('sessions')).toEqual(['again']);
  });
});
