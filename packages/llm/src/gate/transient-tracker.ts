import type { Clock } from '@sylk/core';

export interface TransientTrackerOptions {
  threshold?: number;
  windowMs?: number;
  cooldownMs?: number;
}

/**
 * Isolated transient errors stay silent; `threshold` within `windowMs` for one key
 * (session + resource) raises one alert, then the key is quiet for `cooldownMs`.
 */
export class TransientTracker {
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly seen = new Map<string, { times: number[]; quietUntil: number }>();

  constructor(
    private readonly clock: Clock,
    opts: TransientTrackerOptions = {},
  ) {
    this.threshold = opts.threshold ?? 3;
    this.windowMs = opts.windowMs ?? 10_000;
    this.cooldownMs = opts.cooldownMs ?? 60_000;
  }

  /** Records one transient error; returns the count when this one should raise an alert. */
  record(key: string): number | undefined {
    const now = this.clock.monotonic();
    let entry = this.seen.get(key);
    if (entry === undefined) {
      entry = { times: [], quietUntil: -Infinity };
      this.seen.set(key, entry);
    }
    if (now < entry.quietUntil) return undefined;
    entry.times = entry.times.filter((t) => now - t < this.windowMs);
    entry.times.push(now);
    if (entry.times.length < this.threshold) return undefined;
    const count = entry.times.length;
    entry.times = [];
    entry.quietUntil = now + this.cooldownMs;
    return count;
  }
}
