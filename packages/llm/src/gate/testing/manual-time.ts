import { ManualClock, abortReason } from '@sylk/core';
import type { Clock } from '@sylk/core';
import type { SleepFn, TimerHandle, Timers } from '../types.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Virtual time for tests: one ManualClock plus timers and a sleep that only fire when advanced. */
export class ManualTime {
  readonly clock: Clock;
  private readonly manual: ManualClock;
  private pending: Pending[] = [];
  private seq = 0;
  /** Every sleep requested, in order. */
  readonly sleeps: number[] = [];

  constructor(start = Date.UTC(2025, 0, 6, 12)) {
    this.manual = new ManualClock(start);
    this.clock = this.manual;
  }

  readonly timers: Timers = {
    setTimeout: (fn, ms) => {
      const p: Pending = { at: this.manual.monotonic() + Math.max(0, ms), seq: ++this.seq, fn };
      this.pending.push(p);
      return p;
    },
    clearTimeout: (handle: TimerHandle) => {
      this.pending = this.pending.filter((p) => p !== handle);
    },
  };

  readonly sleep: SleepFn = (ms, signal) => {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        this.timers.clearTimeout(handle);
        reject(abortReason(signal as AbortSignal));
      };
      const handle = this.timers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  get timerCount(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing due timers in order (with microtasks flushed between). */
  async advance(ms: number): Promise<void> {
    const target = this.manual.monotonic() + ms;
    for (;;) {
      await flush();
      const next = this.earliest();
      if (next === undefined || next.at > target) break;
      this.fire(next);
    }
    this.manual.advance(target - this.manual.monotonic());
    await flush();
  }

  /** Runs timers until `p` settles; fails if nothing is left to fire. */
  async settle<T>(p: Promise<T>, maxSteps = 100_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    for (let i = 0; i < maxSteps; i++) {
      await flush();
      if (done) return p;
      const next = this.earliest();
      if (next === undefined) throw new Error('deadlock: promise pending and no timers left');
      this.fire(next);
    }
    throw new Error('settle: too many steps');
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.pending)
      if (best === undefined || p.at < best.at || (p.at === best.at && p.seq < best.seq)) best = p;
    return best;
  }

  private fire(p: Pending): void {
    this.pending = this.pending.filter((x) => x !== p);
    if (p.at > this.manual.monotonic()) this.manual.advance(p.at - this.manual.monotonic());
    p.fn();
  }
}

/** Lets every queued microtask and promise continuation run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
