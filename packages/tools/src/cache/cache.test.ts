import { mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import { OutputCache, type CachedOutput } from './index.js';

let dir: string;
let clock: ManualClock;
let caches: OutputCache[];
const out = (stdout: string): CachedOutput => ({ exitCode: 0, stdout, stderr: '' });
const eslint = ['eslint', '-f', 'json', 'src'];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-cache-')));
  writeFileSync(join(dir, 'a.js'), 'const a = 1;\n');
  writeFileSync(join(dir, 'README.md'), '# hi\n');
  clock = new ManualClock(0);
  caches = [];
});
afterEach(async () => {
  await Promise.all(caches.map((c) => c.close()));
  rmSync(dir, { recursive: true, force: true });
});

function cache(extra: Partial<ConstructorParameters<typeof OutputCache>[0]> = {}): OutputCache {
  const c = new OutputCache({ clock, ...extra });
  caches.push(c);
  return c;
}

describe('OutputCache', () => {
  it('hits for the same command, cwd and inputs; misses on other args', async () => {
    const c = cache();
    let runs = 0;
    const run = async (): Promise<CachedOutput> => out(`run ${++runs}`);
    expect(await c.getOrRun(eslint, dir, run)).toEqual({ output: out('run 1'), hit: false });
    expect(await c.getOrRun(eslint, dir, run)).toEqual({ output: out('run 1'), hit: true });
    expect((await c.getOrRun(['eslint', '-f', 'json', 'lib'], dir, run)).hit).toBe(false);
    expect(runs).toBe(2);
  });

  it('never caches non-deterministic tools or non-noEmit tsc', async () => {
    const c = cache();
    for (const argv of [['vitest', 'run'], ['npm', 'install'], ['go', 'test', './...'], ['tsc', '-p', '.'], ['prettier', '--write', '.']]) {
      expect(c.policyFor(argv)).toBeUndefined();
      await c.set(argv, dir, out('x'));
      expect(await c.get(argv, dir)).toBeUndefined();
    }
    expect(c.policyFor(['npx', 'tsc', '--noEmit'])?.tool).toBe('tsc');
    expect(c.stats().entries).toBe(0);
  });

  it('a content change in an input file changes the key; other files do not', async () => {
    const c = cache();
    await c.set(eslint, dir, out('before'));
    writeFileSync(join(dir, 'README.md'), '# changed\n'); // not an eslint input
    expect(await c.get(eslint, dir)).toEqual(out('before'));
    writeFileSync(join(dir, 'a.js'), 'const a = 2;\n');
    expect(await c.get(eslint, dir)).toBeUndefined();
  });

  it('expires after the TTL, with per-tool overrides', async () => {
    const c = cache({ policies: [{ tool: 'eslint', commands: ['eslint *'], inputs: ['**/*.js'], ttlMs: 1000 }] });
    await c.set(eslint, dir, out('x'));
    clock.advance(999);
    expect(await c.get(eslint, dir)).toBeDefined();
    clock.advance(1);
    expect(await c.get(eslint, dir)).toBeUndefined();
    const d = cache();
    await d.set(eslint, dir, out('x'));
    clock.advance(5 * 60 * 1000 - 1);
    expect(await d.get(eslint, dir)).toBeDefined();
  });

  it('evicts least recently used entries on the entry cap and the byte cap', async () => {
    const c = cache({ maxEntries: 2, maxBytes: 10 });
    const argv = (n: number): string[] => ['eslint', `f${n}.js`];
    await c.set(argv(1), dir, out('1111'));
    await c.set(argv(2), dir, out('2222'));
    await c.get(argv(1), dir); // 1 is now most recent
    await c.set(argv(3), dir, out('3333'));
    expect(await c.get(argv(2), dir)).toBeUndefined();
    expect(await c.get(argv(1), dir)).toBeDefined();
    await c.set(argv(4), dir, out('44444444')); // 8 bytes: only room for itself
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 8 });
    await c.set(argv(5), dir, out('x'.repeat(11))); // larger than the cap: never stored
    expect(await c.get(argv(5), dir)).toBeUndefined();
  });

  it('manual invalidate(tool)', async () => {
    const c = cache();
    await c.set(eslint, dir, out('x'));
    await c.set(['go', 'vet', './...'], dir, out('y'));
    expect(c.invalidate('eslint')).toBe(1);
    expect(await c.get(eslint, dir)).toBeUndefined();
    expect(await c.get(['go', 'vet', './...'], dir)).toBeDefined();
  });

  it('a real file edit seen by the watcher drops the tool entries for that root', async () => {
    const dropped: Array<[string, string | undefined]> = [];
    let notify: () => void = () => undefined;
    const seen = new Promise<void>((r) => (notify = r));
    const c = cache({
      watch: true,
      onInvalidate: (tool, _root, path, n) => {
        dropped.push([tool, path]);
        if (n > 0) notify();
      },
    });
    await c.set(eslint, dir, out('x'));
    await c.watching(dir);
    writeFileSync(join(dir, 'b.ts'), 'export const b = 1;\n');
    await seen;
    expect(dropped).toContainEqual(['eslint', 'b.ts']);
    expect(c.stats().entries).toBe(0);
  });
});
