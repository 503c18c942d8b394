import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@sylk/core';
import { IdleMemoryTrim, fullCollection } from './memory-trim.js';

describe('IdleMemoryTrim', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /**
   * A daemon whose event-loop utilization per interval comes from `load` (checked every 1 s)
   * and whose young generation shrinks on the `shrinkOn`-th collection after it last grew.
   */
  const make = (shrinkOn: number) => {
    let load = 0;
    let young = 32;
    let sinceGrowth = 0;
    const collect = vi.fn(() => {
      if (++sinceGrowth === shrinkOn) young = 1;
    });
    const utilization = vi.fn(() => load);
    const trim = new IdleMemoryTrim({
      collect,
      utilization,
      youngBytes: () => young,
      logger: silentLogger(),
      checkMs: 1000,
      quietBelow: 0.02,
      maxCollections: 3,
      releaseAfterMs: 10_000,
      now: () => Date.now(),
    });
    const work = (seconds: number) => {
      load = 0.9;
      young = 32;
      sinceGrowth = 0;
      vi.advanceTimersByTime(seconds * 1000);
      load = 0;
    };
    return { collect, utilization, trim, work };
  };

  it('after start-up, collects in each quiet interval until the young generation shrinks, then once more to return the pages', () => {
    const { collect, trim } = make(2);
    vi.advanceTimersByTime(999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(2);
    // V8 returns the pooled pages only in a collection after its pool timeout.
    vi.advanceTimersByTime(9000);
    expect(collect).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(3);
    trim.close();
  });

  it('work before the release collection puts it off until the next quiet spell', () => {
    const { collect, trim, work } = make(1);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    work(5);
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(2); // the new spell's shrinking collection
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(3); // and its release
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(3);
    trim.close();
  });

  it('collects after memory was released in a quiet spell (idle sessions unloaded)', () => {
    const { collect, trim } = make(1);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(2); // start-up's, and its release
    trim.released();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(6); // the young generation did not shrink again: up to maxCollections, then the release
    trim.close();
  });

  it('collects nothing while the daemon works, and trims again after each busy spell', () => {
    const { collect, trim, work } = make(2);
    work(30);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    expect(collect).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(3);
    work(5);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(6);
    trim.close();
  });

  it('gives up after maxCollections when V8 keeps the young generation', () => {
    const { collect, trim } = make(99);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(4); // 3, then the release
    trim.close();
  });

  it('does not count its own collection as activity', () => {
    const { collect, utilization, trim } = make(99);
    // The pause of a big collection would look like work in the next interval.
    collect.mockImplementation(() => utilization.mockReturnValueOnce(0.5));
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(4);
    trim.close();
  });

  it('does nothing after close', () => {
    const { collect, trim } = make(2);
    trim.close();
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
  });
});

describe('fullCollection', () => {
  it('runs a real V8 collection that frees unreachable memory', async () => {
    const collect = fullCollection();
    if (collect === undefined) throw new Error('Node 20 exposes gc() after --expose-gc');
    let garbage: number[][] | undefined = Array.from({ length: 200 }, () => new Array<number>(10_000).fill(1));
    const ref = new WeakRef(garbage);
    garbage = undefined;
    // WeakRef targets stay alive until the current job ends.
    await new Promise((r) => setImmediate(r));
    collect();
    expect(ref.deref()).toBeUndefined();
  });
});
