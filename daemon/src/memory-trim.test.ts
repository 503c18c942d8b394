import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@sylk/core';
import { IdleMemoryTrim, fullCollection } from './memory-trim.js';

describe('IdleMemoryTrim', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A heap whose young generation shrinks on the `shrinkOn`-th collection. */
  const make = (shrinkOn = 2) => {
    let young = 32;
    const collect = vi.fn(() => {
      if (collect.mock.calls.length === shrinkOn) young = 1;
    });
    const trim = new IdleMemoryTrim({ collect, youngBytes: () => young, logger: silentLogger(), quietMs: 2000, settleMs: 5000, maxCollections: 3 });
    return { collect, trim };
  };

  it('collects once quietMs pass with nothing running, again settleMs later, and stops once the young generation shrank', () => {
    const { collect, trim } = make(2);
    trim.schedule();
    vi.advanceTimersByTime(1999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(collect).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('gives up after maxCollections when V8 keeps the young generation', () => {
    const { collect, trim } = make(99);
    trim.schedule();
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(3);
  });

  it('waits for the last piece of work to end; work that starts cancels a pending trim', () => {
    const { collect, trim } = make(99);
    const a = trim.busy();
    const b = trim.busy();
    a();
    a(); // ending twice counts once
    vi.advanceTimersByTime(10_000);
    expect(collect).not.toHaveBeenCalled();
    b();
    vi.advanceTimersByTime(2000);
    expect(collect).toHaveBeenCalledTimes(1);
    const c = trim.busy(); // between two collections
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(1);
    c();
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(4);
  });

  it('does nothing after close', () => {
    const { collect, trim } = make();
    trim.schedule();
    trim.close();
    trim.schedule();
    trim.busy()();
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
  });
});

describe('fullCollection', () => {
  it('runs a real V8 collection that frees unreachable memory', async () => {
    const collect = fullCollection();
    let garbage: number[][] | undefined = Array.from({ length: 200 }, () => new Array<number>(10_000).fill(1));
    const ref = new WeakRef(garbage);
    garbage = undefined;
    // WeakRef targets stay alive until the current job ends.
    await new Promise((r) => setImmediate(r));
    collect();
    expect(ref.deref()).toBeUndefined();
  });
});
