import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BoundedSlotPool, type SlotLease, type SlotPool } from './slots.js';
import { sandbox, testExecutor, type Sandbox } from './test-support.js';

describe('BoundedSlotPool', () => {
  it('hands out at most `limit` leases, FIFO, and releases idempotently', async () => {
    const pool = new BoundedSlotPool(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    const order: string[] = [];
    const c = pool.acquire().then((l) => (order.push('c'), l));
    const d = pool.acquire().then((l) => (order.push('d'), l));
    expect(pool.inUse).toBe(2);
    expect(pool.waiting).toBe(2);
    a.release();
    a.release(); // second release must not free another slot
    await c;
    expect(order).toEqual(['c']);
    expect(pool.waiting).toBe(1);
    b.release();
    (await d).release();
    (await c).release();
    expect(pool.inUse).toBe(0);
  });

  it('rejects a waiter whose signal aborts', async () => {
    const pool = new BoundedSlotPool(1);
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'tools.cancelled' });
    expect(pool.waiting).toBe(0);
    held.release();
    expect(pool.inUse).toBe(0);
  });

  it('rejects bad limits', () => {
    expect(() => new BoundedSlotPool(0)).toThrow(/positive integer/);
  });
});

describe('executor slots', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.dispose());

  /** Wraps a pool to observe the peak number of leases out at once. */
  function observed(limit: number) {
    const inner = new BoundedSlotPool(limit);
    const stats = { active: 0, peak: 0 };
    const pool: SlotPool = {
      async acquire(signal) {
        const lease = await inner.acquire(signal);
        stats.peak = Math.max(stats.peak, ++stats.active);
        let done = false;
        return {
          release: () => {
            if (!done) stats.active--;
            done = true;
            lease.release();
          },
        } satisfies SlotLease;
      },
    };
    return { pool, stats, inner };
  }

  it('bounds concurrent subprocesses and releases slots on success and failure', async () => {
    const { pool, stats, inner } = observed(2);
    const exec = testExecutor(box, { slots: pool });
    const commands = ['sleep 0.2', 'sleep 0.2; exit 1', 'no-such-program-xyz', 'sleep 0.2', 'exit 7'];
    const results = await Promise.all(commands.map((c) => exec.run(c, { cwd: box.project })));
    expect(results.map((r) => r.exitCode)).toEqual([0, 1, 127, 0, 7]);
    expect(stats.peak).toBe(2);
    expect(inner.inUse).toBe(0);
    // A refused working directory never takes a slot; a timed-out command gives its slot back.
    await expect(exec.run('true', { cwd: '/' })).rejects.toMatchObject({ code: 'tools.cwd_outside_roots' });
    const timed = await testExecutor(box, { slots: pool, timeouts: { baseMs: 100, extendMs: 100 } }).run('sleep 30', {
      cwd: box.project,
    });
    expect(timed.timedOut).toBe(true);
    expect(inner.inUse).toBe(0);
  });
});

describe('background slots', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.dispose());

  it('a background process holds a slot while it runs; their share is capped, commands keep the rest', async () => {
    const pool = new BoundedSlotPool(4);
    const exec = testExecutor(box, { slots: pool });
    const a = await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 'a' });
    const b = await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 'b' });
    expect([pool.inUse, pool.background, pool.backgroundLimit]).toEqual([2, 2, 2]);
    await expect(exec.startBackground('sleep 30', { cwd: box.project, sessionId: 'c' })).rejects.toMatchObject({
      code: 'tools.pool_full',
    });
    expect(pool.inUse).toBe(2);
    const r = await exec.run('echo ok', { cwd: box.project });
    expect(r.exitCode).toBe(0);
    await a.stop();
    await a.exited;
    expect([pool.inUse, pool.background]).toEqual([1, 1]);
    await b.stop();
    await b.exited;
    expect([pool.inUse, pool.background]).toEqual([0, 0]);
  });
});
