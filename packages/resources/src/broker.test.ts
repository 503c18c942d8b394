import { systemClock, type SylkError } from '@sylk/core';
import { describe, expect, it } from 'vitest';
import { ResourceBroker, type Bundle } from './broker.js';
import { ResourcePool } from './pool.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function setup(sizes = { fileHandles: 4, network: 3, subprocess: 3 }, budgets = { memoryMb: 1000, diskMb: 500 }) {
  const clock = systemClock;
  const pools = {
    fileHandles: new ResourcePool({ name: 'file handles', capacity: sizes.fileHandles, clock }),
    network: new ResourcePool({ name: 'network', capacity: sizes.network, clock }),
    subprocess: new ResourcePool({ name: 'subprocess', capacity: sizes.subprocess, clock }),
  };
  const broker = new ResourceBroker({ pools, ...budgets, clock });
  const inUse = () => ({
    fileHandles: pools.fileHandles.inUse,
    network: pools.network.inUse,
    subprocess: pools.subprocess.inUse,
    memoryMb: broker.budgets().memoryMb?.inUse,
    diskMb: broker.budgets().diskMb?.inUse,
  });
  const idle = { fileHandles: 0, network: 0, subprocess: 0, memoryMb: 0, diskMb: 0 };
  return { pools, broker, inUse, idle };
}

describe('ResourceBroker', () => {
  it('grants a whole bundle and releases all of it', async () => {
    const t = setup();
    const bundle = await t.broker.acquire(
      { sessionId: 's', pipelineId: 'p' },
      { fileHandles: 2, network: 1, subprocess: 2, memoryMb: 300, diskMb: 100 },
      { timeoutMs: 1000 },
    );
    expect(t.inUse()).toEqual({ fileHandles: 2, network: 1, subprocess: 2, memoryMb: 300, diskMb: 100 });
    expect(t.broker.bundles).toBe(1);
    bundle.release();
    bundle.release();
    expect(t.inUse()).toEqual(t.idle);
    expect(t.broker.bundles).toBe(0);
  });

  it('releases the parts already taken when a later part times out', async () => {
    const t = setup();
    const hog = await t.pools.subprocess.acquire({ owner: { sessionId: 'x' }, user: false, units: 2 });
    const err = (await t.broker
      .acquire({ sessionId: 's' }, { fileHandles: 3, network: 2, subprocess: 1, memoryMb: 200 }, { timeoutMs: 50 })
      .catch((e: unknown) => e)) as SylkError;
    expect(err.code).toBe('resources.pool_timeout');
    expect(err.message).toContain('subprocess');
    hog.release();
    expect(t.inUse()).toEqual(t.idle);
  });

  it('releases everything when cancelled while waiting', async () => {
    const t = setup();
    const hog = await t.pools.network.acquire({ owner: { sessionId: 'x' }, user: false, units: 2 });
    const controller = new AbortController();
    const pending = t.broker.acquire(
      { sessionId: 's' },
      { fileHandles: 1, network: 1, memoryMb: 10 },
      { signal: controller.signal },
    );
    await sleep(5);
    expect(t.pools.fileHandles.inUse).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'resources.cancelled' });
    hog.release();
    expect(t.inUse()).toEqual(t.idle);
  });

  it('lets a user bundle take the reserves and skip the budgets', async () => {
    const t = setup({ fileHandles: 4, network: 3, subprocess: 3 }, { memoryMb: 100, diskMb: 100 });
    const pipeline = await t.broker.acquire({ sessionId: 'p' }, { subprocess: 2, memoryMb: 100 }, { timeoutMs: 100 });
    const user = await t.broker.acquire({ sessionId: 'u' }, { subprocess: 1, memoryMb: 500 }, { user: true });
    expect(t.pools.subprocess.reserveInUse).toBe(1);
    expect(t.broker.budgets().memoryMb?.inUse).toBe(100);
    user.release();
    pipeline.release();
    expect(t.inUse()).toEqual(t.idle);
  });

  it('under contention grants many bundles without deadlock and leaks nothing', async () => {
    const t = setup({ fileHandles: 4, network: 3, subprocess: 3 }, { memoryMb: 1000, diskMb: 300 });
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let granted = 0;
    let timedOut = 0;
    let peakSubprocess = 0;
    const run = async (i: number): Promise<void> => {
      const controller = new AbortController();
      if (i % 17 === 0) setTimeout(() => controller.abort(), 5);
      let bundle: Bundle | undefined;
      try {
        bundle = await t.broker.acquire(
          { sessionId: `s${i % 5}`, pipelineId: `p${i}` },
          {
            fileHandles: 1 + Math.floor(random() * 3),
            network: Math.floor(random() * 3),
            subprocess: 1 + Math.floor(random() * 2),
            memoryMb: Math.floor(random() * 600),
            diskMb: Math.floor(random() * 200),
          },
          { timeoutMs: i % 7 === 0 ? 20 : 60_000, signal: controller.signal, priority: i % 3 },
        );
      } catch (err) {
        expect((err as SylkError).code).toMatch(/^resources\.(pool_timeout|cancelled)$/);
        timedOut++;
        return;
      }
      granted++;
      peakSubprocess = Math.max(peakSubprocess, t.pools.subprocess.inUse);
      await sleep(Math.floor(random() * 4));
      bundle.release();
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => run(i)));
    expect(granted + timedOut).toBe(200);
    expect(granted).toBeGreaterThan(150);
    expect(peakSubprocess).toBeLessThanOrEqual(3 - t.pools.subprocess.reserve);
    expect(t.inUse()).toEqual(t.idle);
    for (const pool of Object.values(t.pools)) expect(pool.stats()).toMatchObject({ inUse: 0, waiting: 0 });
    expect(t.broker.bundles).toBe(0);
  });
});
