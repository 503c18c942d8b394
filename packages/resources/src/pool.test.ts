import { ManualClock, type SylkError } from '@sylk/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResourcePool, type PoolLease } from './pool.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function pool(capacity: number, extra: Partial<ConstructorParameters<typeof ResourcePool>[0]> = {}) {
  return new ResourcePool({ name: 'subprocess', capacity, clock: new ManualClock(0), ...extra });
}

/** Settles to the lease, or 'pending' if not granted after a flush. */
async function state(p: Promise<PoolLease>): Promise<PoolLease | 'pending'> {
  return Promise.race([p, flush().then(() => 'pending' as const)]);
}

describe('ResourcePool', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the reserve from pipelines and gives it to user work', async () => {
    const p = pool(5);
    expect(p.reserve).toBe(1);
    const leases = await Promise.all(
      [0, 1, 2, 3].map((i) => p.acquire({ owner: { sessionId: 's', pipelineId: `p${i}` }, user: false })),
    );
    const fifth = p.acquire({ owner: { sessionId: 's', pipelineId: 'p4' }, user: false });
    expect(await state(fifth)).toBe('pending');
    const user = await p.acquire({ owner: { sessionId: 'u' }, user: true });
    expect(p.stats()).toMatchObject({ inUse: 5, reserveInUse: 1, waiting: 1 });
    user.release();
    user.release();
    // the reserve is back, but still not for pipelines
    expect(await state(fifth)).toBe('pending');
    leases[0]?.release();
    expect(await state(fifth)).not.toBe('pending');
    expect(p.stats()).toMatchObject({ inUse: 4, reserveInUse: 0, waiting: 0 });
  });

  it('queues pipelines by priority then age, and times them out with a hint', async () => {
    const p = pool(2, { pipelineTimeoutMs: 1000 });
    const held = await p.acquire({ owner: { sessionId: 's' }, user: false });
    const order: string[] = [];
    const low = p.acquire({ owner: { sessionId: 'a' }, user: false, priority: 1 }).then((l) => (order.push('low'), l));
    const high = p.acquire({ owner: { sessionId: 'b' }, user: false, priority: 9, timeoutMs: Infinity });
    void high.then((l) => (order.push('high'), l));
    const late = p.acquire({ owner: { sessionId: 'c' }, user: false, priority: 1, timeoutMs: 500 });
    const lateErr = late.then(
      () => undefined,
      (err: SylkError) => err,
    );
    await vi.advanceTimersByTimeAsync(500);
    const err = await lateErr;
    expect(err).toMatchObject({ code: 'resources.pool_timeout', tier: 'transient' });
    expect(err?.hint).toContain('sylk top');
    expect(p.timeouts).toBe(1);
    held.release();
    (await high).release();
    (await low).release();
    expect(order).toEqual(['high', 'low']);
    expect(p.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('lets a user preempt the pipeline of another session, which resumes when the user releases', async () => {
    const p = pool(2);
    const calls: string[] = [];
    const victim = await p.acquire({
      owner: { sessionId: 'b', pipelineId: 'pb' },
      user: false,
      priority: 20,
      onPreempt: () => {
        calls.push('preempt');
      },
      onResume: () => calls.push('resume'),
    });
    const other = await p.acquire({ owner: { sessionId: 'other' }, user: true });
    expect(p.stats()).toMatchObject({ inUse: 2, reserveInUse: 1 });
    const user = await p.acquire({ owner: { sessionId: 'a' }, user: true });
    expect(calls).toEqual(['preempt']);
    expect(victim.preempted).toBe(true);
    expect(p.stats()).toMatchObject({ inUse: 2, preempted: 1, preemptions: 1 });
    user.release();
    expect(calls).toEqual(['preempt', 'resume']);
    expect(victim.preempted).toBe(false);
    expect(p.preempted).toBe(0);
    victim.release();
    other.release();
    expect(p.inUse).toBe(0);
  });

  it('preempts the lowest-priority, newest pipeline holder and waits for its pause', async () => {
    const p = pool(4);
    const calls: string[] = [];
    let pause: () => void = () => {};
    const holder = (id: string, priority: number) =>
      p.acquire({
        owner: { sessionId: id, pipelineId: id },
        user: false,
        priority,
        onPreempt: () => {
          calls.push(`preempt ${id}`);
          return new Promise<void>((resolve) => (pause = resolve));
        },
        onResume: () => calls.push(`resume ${id}`),
      });
    const old = await holder('old', 10);
    const newer = await holder('newer', 10);
    const high = await holder('high', 50);
    const reserve = await p.acquire({ owner: { sessionId: 'u0' }, user: true });
    const user = p.acquire({ owner: { sessionId: 'u1' }, user: true });
    expect(calls).toEqual(['preempt newer']);
    // granted once the holder has paused
    expect(await state(user)).toBe('pending');
    pause();
    const lease = await user;
    expect(newer.preempted).toBe(true);
    expect(old.preempted || high.preempted).toBe(false);
    lease.release();
    expect(calls).toEqual(['preempt newer', 'resume newer']);
    for (const l of [old, newer, high, reserve]) l.release();
    expect(p.stats()).toMatchObject({ inUse: 0, reserveInUse: 0, preempted: 0 });
  });

  it('puts a user at the head of the queue when nothing is preemptible; pipelines do not overtake', async () => {
    const p = pool(2);
    const pipe = await p.acquire({ owner: { sessionId: 'b' }, user: false });
    const other = await p.acquire({ owner: { sessionId: 'o' }, user: true });
    const user = p.acquire({ owner: { sessionId: 'a' }, user: true });
    const later = p.acquire({ owner: { sessionId: 'c' }, user: false, priority: 100 });
    expect(await state(user)).toBe('pending');
    expect(p.waiting).toBe(2);
    pipe.release();
    const granted = await user;
    expect(await state(later)).toBe('pending');
    granted.release();
    other.release();
    (await later).release();
    expect(p.inUse).toBe(0);
  });

  it('gives a preempted holder’s units to the borrower if the holder releases first', async () => {
    const p = pool(2);
    const onResume = vi.fn();
    const victim = await p.acquire({ owner: { sessionId: 'b' }, user: false, onPreempt: () => {}, onResume });
    const other = await p.acquire({ owner: { sessionId: 'o' }, user: true });
    const user = await p.acquire({ owner: { sessionId: 'a' }, user: true });
    victim.release();
    expect(p.stats()).toMatchObject({ inUse: 2, preempted: 0 });
    user.release();
    other.release();
    expect(onResume).not.toHaveBeenCalled();
    expect(p.inUse).toBe(0);
  });

  it('never fails a user: a flood of user acquisitions is served as units free', async () => {
    const p = pool(2);
    const all = Array.from({ length: 20 }, (_, i) => p.acquire({ owner: { sessionId: `s${i % 3}` }, user: true }));
    let served = 0;
    for (const lease of all) {
      (await lease).release();
      served++;
    }
    expect(served).toBe(20);
    expect(p.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('drops a waiter whose signal aborts', async () => {
    const p = pool(2);
    const held = await p.acquire({ owner: { sessionId: 's' }, user: false });
    const controller = new AbortController();
    const waiting = p.acquire({ owner: { sessionId: 't' }, user: false, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'resources.cancelled' });
    expect(p.waiting).toBe(0);
    held.release();
    expect(p.inUse).toBe(0);
  });

  it('refuses requests larger than pipelines may ever hold', async () => {
    const p = pool(5);
    await expect(p.acquire({ owner: { sessionId: 's' }, user: false, units: 5 })).rejects.toMatchObject({
      code: 'resources.request_too_large',
    });
  });

  it('adapts to the executor slot pool, with background processes limited to half the pool', async () => {
    const p = pool(4);
    const slots = p.slotPool({ sessionId: 's' }, { user: true });
    const fg = await slots.acquire();
    const bg1 = await slots.acquireBackground?.();
    const bg2 = await slots.acquireBackground?.();
    expect(p.background).toBe(2);
    await expect(slots.acquireBackground?.()).rejects.toMatchObject({ code: 'resources.pool_full' });
    bg1?.release();
    const bg3 = await slots.acquireBackground?.();
    expect(p.background).toBe(2);
    for (const l of [fg, bg2, bg3]) l?.release();
    expect(p.stats()).toMatchObject({ inUse: 0, background: 0 });
    expect(p.slotPool({ sessionId: 's' }, { user: false, background: false }).acquireBackground).toBeUndefined();
  });
});
