import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, SylkError } from '@sylk/core';
import { DiskQuota, defaultDiskQuotaBytes, formatBytes, type DiskLevel } from './disk.js';
import { DiskUsage } from './disk-usage.js';
import { entriesOf, removeOldest } from './disk-cleanup.js';

const KiB = 1024;
const GiB = 1024 ** 3;
const dirs: string[] = [];

function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-disk-'));
  dirs.push(dir);
  return dir;
}

function file(path: string, bytes: number, ageMs = 0, now = Date.now()): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 1));
  const t = (now - ageMs) / 1000;
  utimesSync(path, t, t);
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('defaultDiskQuotaBytes', () => {
  it('is 10% of the free space, between 1 GiB and 20 GiB', () => {
    expect(defaultDiskQuotaBytes(2 * GiB)).toBe(GiB);
    expect(defaultDiskQuotaBytes(50 * GiB)).toBe(5 * GiB);
    expect(defaultDiskQuotaBytes(1000 * GiB)).toBe(20 * GiB);
  });
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});

describe('DiskUsage', () => {
  it('counts nested roots once and measures only new and stale units on a refresh', async () => {
    const root = tempRoot();
    const clock = new ManualClock(1_000_000);
    file(join(root, 'data', 'sessions', 'a', 'events.db'), 64 * KiB);
    file(join(root, 'data', 'system.db'), 32 * KiB);
    const usage = new DiskUsage({
      roots: [join(root, 'data'), join(root, 'data', 'sessions')],
      clock,
      maxAgeMs: 60_000,
    });
    const first = await usage.refresh();
    expect(first).toBeGreaterThanOrEqual(96 * KiB);
    expect(first).toBeLessThan(120 * KiB);
    // A file growing inside a measured unit is seen once the unit is stale, not before.
    file(join(root, 'data', 'sessions', 'a', 'events.db'), 256 * KiB);
    expect(await usage.refresh()).toBe(first);
    // A new unit counts at once.
    file(join(root, 'data', 'sessions', 'b', 'events.db'), 128 * KiB);
    const withB = await usage.refresh();
    expect(withB - first).toBeGreaterThanOrEqual(128 * KiB);
    clock.advance(60_000);
    const stale = await usage.refresh();
    expect(stale).toBeGreaterThanOrEqual(withB + 192 * KiB);
    rmSync(join(root, 'data', 'sessions', 'b'), { recursive: true });
    usage.forget(join(root, 'data', 'sessions', 'b'));
    expect(await usage.refresh()).toBeLessThanOrEqual(stale - 128 * KiB);
  });
});

describe('removeOldest', () => {
  it('removes old entries, oldest first, until enough is freed', async () => {
    const root = tempRoot();
    const now = Date.now();
    file(join(root, 'old1'), 64 * KiB, 10 * 3_600_000, now);
    file(join(root, 'old2', 'x'), 64 * KiB, 5 * 3_600_000, now);
    utimesSync(join(root, 'old2'), (now - 5 * 3_600_000) / 1000, (now - 5 * 3_600_000) / 1000);
    file(join(root, 'fresh'), 64 * KiB, 0, now);
    const removed: string[] = [];
    const freed = await removeOldest({
      candidates: await entriesOf(root),
      bytes: 10 * KiB,
      olderThanMs: 3_600_000,
      clock: new ManualClock(now),
      removed: (p) => removed.push(p),
    });
    expect(freed).toBeGreaterThanOrEqual(64 * KiB);
    expect(removed).toEqual([join(root, 'old1')]);
    await removeOldest({
      candidates: await entriesOf(root),
      bytes: GiB,
      olderThanMs: 3_600_000,
      clock: new ManualClock(now),
    });
    expect(existsSync(join(root, 'old2'))).toBe(false);
    expect(existsSync(join(root, 'fresh'))).toBe(true);
    expect(await entriesOf(join(root, 'missing'))).toEqual([]);
  });
});

describe('DiskQuota', () => {
  function quota(used: { bytes: number }, cleaners: ConstructorParameters<typeof DiskQuota>[0]['cleaners'] = []) {
    const levels: DiskLevel[] = [];
    const q = new DiskQuota({
      measure: async () => used.bytes,
      configuredBytes: () => 1000,
      freeBytes: async () => 100 * GiB,
      cleaners,
      intervalMs: 1000,
      clock: new ManualClock(5),
      fix: 'raise resources.disk.quota_mb',
      onLevelChange: (s) => levels.push(s.level),
    });
    return { q, levels };
  }

  it('warns at 80%, is full at the quota, and then refuses with a clear error', async () => {
    const used = { bytes: 100 };
    const { q, levels } = quota(used);
    await q.check();
    expect(q.state().level).toBe('ok');
    expect(() => q.assertRoom('a new pipeline')).not.toThrow();
    used.bytes = 850;
    await q.check();
    used.bytes = 1200;
    await q.check();
    expect(levels).toEqual(['warn', 'full']);
    let err: unknown;
    try {
      q.assertRoom('a new pipeline');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SylkError);
    expect(err).toMatchObject({
      code: 'resources.disk_quota_full',
      tier: 'user_fixable',
      hint: 'raise resources.disk.quota_mb',
      message: expect.stringMatching(/a new pipeline refused: Sylk's data uses 1\.2 KiB of its 1000 B disk quota$/),
    });
  });

  it('at 90% runs the cleaners in order until it is back under 80%', async () => {
    const used = { bytes: 950 };
    const calls: string[] = [];
    const cleaner = (name: string, frees: number) => ({
      name,
      async clean(bytes: number) {
        calls.push(`${name}:${bytes}`);
        const freed = Math.min(frees, bytes);
        used.bytes -= freed;
        return freed;
      },
    });
    const { q } = quota(used, [
      cleaner('temp', 50),
      cleaner('staging', 40),
      cleaner('spools', 500),
      cleaner('backups', 1),
    ]);
    const state = await q.check();
    expect(calls).toEqual(['temp:150', 'staging:100', 'spools:60']);
    expect(state).toMatchObject({
      level: 'warn',
      usedBytes: 800,
      lastCleanup: { at: 5, freed: { temp: 50, staging: 40, spools: 60 } },
    });
  });

  it('uses the free space when no quota is configured, and keeps going when a cleaner fails', async () => {
    const errors: string[] = [];
    const q = new DiskQuota({
      measure: async () => 0.95 * GiB,
      configuredBytes: () => 0,
      freeBytes: async () => 3 * GiB,
      cleaners: [
        {
          name: 'temp',
          clean: () => Promise.reject(new Error('EACCES')),
        },
      ],
      intervalMs: 1000,
      clock: new ManualClock(),
      fix: 'x',
      onError: (e) => errors.push(String(e)),
    });
    const s = await q.check();
    expect(s).toMatchObject({ quotaBytes: GiB, quotaDerived: true, level: 'clean' });
    expect(errors).toEqual(['Error: cleaning temp: EACCES']);
  });
});
