import type { Clock } from '@sylk/core';
import type { ProviderName } from '../types.js';
import type { Job } from './job.js';
import type { SleepFn } from './types.js';

const EMPTY: ReadonlySet<Job> = new Set();

/**
 * Accepted requests that hold no worker: parked behind a paused provider, a full rate-limit window or a breaker (woken per
 * provider, one timer each) and requests in retry backoff (one sleep each).
 */
export class WaitingRoom {
  private readonly parked = new Map<ProviderName, Set<Job>>();
  private readonly wakeAt = new Map<ProviderName, number>();
  private readonly delayed = new Set<Job>();

  constructor(
    private readonly clock: Clock,
    private readonly sleep: SleepFn,
    private readonly closing: AbortSignal,
    private readonly onWake: (provider: ProviderName) => void,
    private readonly onDelayOver: (job: Job) => void,
  ) {}

  get size(): number {
    let n = this.delayed.size;
    for (const set of this.parked.values()) n += set.size;
    return n;
  }

  /** Parks a request until `release(provider)`; with `until`, a wake-up is scheduled then. */
  park(job: Job, until: number | undefined): void {
    const provider = job.req.provider;
    job.state = 'waiting';
    let set = this.parked.get(provider);
    if (set === undefined) {
      set = new Set();
      this.parked.set(provider, set);
    }
    set.add(job);
    if (until !== undefined) this.scheduleWake(provider, until);
  }

  /** One timer per provider, at the earliest time anyone asked for. */
  scheduleWake(provider: ProviderName, until: number): void {
    const scheduled = this.wakeAt.get(provider);
    if (scheduled !== undefined && scheduled <= until) return;
    this.wakeAt.set(provider, until);
    this.sleep(Math.max(0, until - this.clock.now()), this.closing).then(
      () => {
        if (this.wakeAt.get(provider) === until) this.wakeAt.delete(provider);
        this.onWake(provider);
      },
      () => {},
    );
  }

  /** The requests parked for `provider` now (for status; do not change the set). */
  parkedFor(provider: ProviderName): ReadonlySet<Job> {
    return this.parked.get(provider) ?? EMPTY;
  }

  /** Takes every request parked for `provider`, highest seq first (so front re-insertion keeps order). */
  release(provider: ProviderName): Job[] {
    const set = this.parked.get(provider);
    if (set === undefined) return [];
    this.parked.delete(provider);
    return [...set].sort((a, b) => b.seq - a.seq);
  }

  /** Holds a request for its retry backoff, then hands it back. */
  delay(job: Job, ms: number): void {
    job.state = 'waiting';
    this.delayed.add(job);
    this.sleep(ms, this.closing).then(
      () => {
        if (this.delayed.delete(job)) this.onDelayOver(job);
      },
      () => {},
    );
  }

  remove(job: Job): void {
    this.delayed.delete(job);
    this.parked.get(job.req.provider)?.delete(job);
  }

  drain(): Job[] {
    const all = [...this.delayed];
    for (const set of this.parked.values()) all.push(...set);
    this.delayed.clear();
    this.parked.clear();
    return all;
  }
}
