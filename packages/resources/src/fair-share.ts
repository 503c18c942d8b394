import { silentLogger, systemTimers, type Clock, type Logger, type TimerHandle, type Timers } from '@sylk/core';

/** What a session did: a request of its own (user turn, model call), or one of its pipelines started or ended. */
export type ActivityKind = 'request' | 'pipeline_started' | 'pipeline_ended';

/** Told when a session's fraction of a pool moved by more than the notice threshold since it was last told. */
export type ShareChangeListener = (sessionId: string, fromFraction: number, toFraction: number) => void;

export interface FairShareOptions {
  clock: Clock;
  /** Drives the periodic rebalance while request scores decay (none runs when nothing decays). */
  timers?: Timers;
  logger?: Logger;
  /** Fraction of every pool kept for user-interactive work (default 0.2). */
  userReserve?: number;
  /** Half-life of a recorded request's weight in the activity score (default 30 s). */
  halfLifeMs?: number;
  /** Weight of a session with no activity: its baseline (default 0.1, a tenth of one running pipeline). */
  idleWeight?: number;
  /** A share change larger than this (fraction of the pool) is announced (default 0.1). */
  noticeThreshold?: number;
  /** How often shares are recomputed while request scores decay (default 500 ms). */
  rebalanceIntervalMs?: number;
}

interface Activity {
  running: number;
  /** Decayed request count as of `at` (monotonic ms). */
  requests: number;
  at: number;
  /** The fraction the session was last told about (or had when it joined). */
  notified: number;
}

/** Below this a decayed request count no longer matters (and stops the decay timer). */
const NEGLIGIBLE = 0.01;

/**
 * Units of a pool of `capacity` kept for user-interactive work: `fraction` rounded up, so a small
 * pool still keeps one, but never the whole pool (pipelines always keep at least one unit).
 */
export function reserveUnits(capacity: number, fraction: number): number {
  if (fraction <= 0 || capacity <= 1) return 0;
  return Math.min(capacity - 1, Math.ceil(capacity * fraction - 1e-9));
}

/**
 * Splits `total` whole units by weight (largest remainder), every session getting at least
 * `minimum`: sessions whose exact part is below it get the minimum and the rest is split among
 * the others. The sum exceeds `total` only when there are more sessions than units.
 */
export function apportion(total: number, weights: ReadonlyMap<string, number>, minimum = 1): Map<string, number> {
  const out = new Map<string, number>();
  if (weights.size * minimum >= total) {
    for (const id of weights.keys()) out.set(id, minimum);
    return out;
  }
  const rest = new Map(weights);
  let left = total;
  for (;;) {
    let sum = 0;
    for (const w of rest.values()) sum += w;
    const small = [...rest].filter(([, w]) => (sum > 0 ? (left * w) / sum : left / rest.size) < minimum);
    if (small.length === 0) break;
    for (const [id] of small) {
      out.set(id, minimum);
      rest.delete(id);
      left -= minimum;
    }
  }
  let sum = 0;
  for (const w of rest.values()) sum += w;
  const remainders: Array<{ id: string; frac: number }> = [];
  let given = 0;
  for (const [id, w] of rest) {
    const exact = sum > 0 ? (left * w) / sum : left / rest.size;
    const whole = Math.floor(exact + 1e-9);
    out.set(id, whole);
    given += whole;
    remainders.push({ id, frac: exact - whole });
  }
  remainders.sort((a, b) => b.frac - a.frac || (a.id < b.id ? -1 : 1));
  for (let i = 0; given < left && i < remainders.length; i++, given++) {
    const r = remainders[i] as { id: string };
    out.set(r.id, (out.get(r.id) ?? 0) + 1);
  }
  return out;
}

/**
 * Activity-weighted shares of a pool across sessions. A session's score is its running pipelines
 * plus its recent requests, each decaying with a half-life; its weight is the score, or the idle
 * baseline when that is higher. Sessions split the non-reserved part of a pool by weight, at least
 * one unit each. One instance serves every pool of the daemon: fractions are pool-independent.
 */
export class FairShare {
  readonly userReserve: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly halfLifeMs: number;
  private readonly idleWeight: number;
  private readonly noticeThreshold: number;
  private readonly intervalMs: number;
  private readonly sessions = new Map<string, Activity>();
  private readonly listeners = new Set<ShareChangeListener>();
  private timer: TimerHandle | undefined;

  constructor(options: FairShareOptions) {
    this.clock = options.clock;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? silentLogger();
    this.userReserve = options.userReserve ?? 0.2;
    this.halfLifeMs = options.halfLifeMs ?? 30_000;
    this.idleWeight = options.idleWeight ?? 0.1;
    this.noticeThreshold = options.noticeThreshold ?? 0.1;
    this.intervalMs = options.rebalanceIntervalMs ?? 500;
    if (!(this.userReserve >= 0 && this.userReserve < 1))
      throw new RangeError(`userReserve must be in [0, 1), got ${this.userReserve}`);
    if (!(this.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be positive, got ${this.halfLifeMs}`);
  }

  /** Adds a session (idempotent); the others' shares shrink and are rebalanced. */
  join(sessionId: string): void {
    if (this.sessions.has(sessionId)) return;
    this.sessions.set(sessionId, { running: 0, requests: 0, at: this.clock.monotonic(), notified: 0 });
    this.settleNewcomer(sessionId);
  }

  /** Removes a session (its unit of activity goes with it); the others are rebalanced. */
  leave(sessionId: string): void {
    if (!this.sessions.delete(sessionId)) return;
    this.rebalance();
  }

  /** Records activity; an unknown session joins first. */
  record(sessionId: string, kind: ActivityKind): void {
    let a = this.sessions.get(sessionId);
    const joining = a === undefined;
    if (a === undefined) {
      a = { running: 0, requests: 0, at: this.clock.monotonic(), notified: 0 };
      this.sessions.set(sessionId, a);
    }
    if (kind === 'request') {
      const now = this.clock.monotonic();
      a.requests = this.decayed(a, now) + 1;
      a.at = now;
    } else if (kind === 'pipeline_started') a.running++;
    else a.running = Math.max(0, a.running - 1);
    if (joining) this.settleNewcomer(sessionId);
    else this.rebalance();
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** Running pipelines plus decayed recent requests (0 for an unknown session). */
  score(sessionId: string): number {
    const a = this.sessions.get(sessionId);
    return a === undefined ? 0 : a.running + this.decayed(a, this.clock.monotonic());
  }

  /** The score, or the idle baseline when higher: what shares are split by. */
  weight(sessionId: string): number {
    return Math.max(this.score(sessionId), this.idleWeight);
  }

  /** Whether the session's score is above the idle baseline. */
  isActive(sessionId: string): boolean {
    return this.score(sessionId) > this.idleWeight;
  }

  /** The session's fraction of a whole pool (the reserve excluded, so all fractions sum to 1 − userReserve). */
  fraction(sessionId: string): number {
    return this.fractions().get(sessionId) ?? 0;
  }

  /** Every session's fraction of a whole pool. */
  fractions(): Map<string, number> {
    const weights = this.weights();
    let sum = 0;
    for (const w of weights.values()) sum += w;
    const out = new Map<string, number>();
    for (const [id, w] of weights) out.set(id, ((1 - this.userReserve) * w) / sum);
    return out;
  }

  /** Whole units of a pool of `capacity` the session may hold: its part of the non-reserved units, at least 1 (0 if unknown). */
  shareOf(sessionId: string, capacity: number): number {
    if (!this.sessions.has(sessionId)) return 0;
    return this.sharesOf(capacity).get(sessionId) ?? 0;
  }

  /** Every session's units of a pool of `capacity` (see `shareOf`). */
  sharesOf(capacity: number): Map<string, number> {
    return apportion(capacity - reserveUnits(capacity, this.userReserve), this.weights());
  }

  /** Subscribes to share changes larger than the notice threshold; returns the unsubscribe. */
  onShareChange(listener: ShareChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Recomputes fractions and tells listeners about every session whose fraction moved by more than
   * the threshold since it was last told. Runs on join, leave and every record, and every
   * `rebalanceIntervalMs` while request scores decay.
   */
  rebalance(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = this.clock.monotonic();
    let decaying = false;
    for (const [id, to] of this.fractions()) {
      const a = this.sessions.get(id) as Activity;
      if (this.decayed(a, now) > NEGLIGIBLE) decaying = true;
      if (Math.abs(to - a.notified) <= this.noticeThreshold) continue;
      const from = a.notified;
      a.notified = to;
      for (const listener of this.listeners) {
        try {
          listener(id, from, to);
        } catch (err) {
          this.logger.warn({ err, sessionId: id }, 'share change listener failed');
        }
      }
    }
    if (decaying) this.timer = this.timers.setTimeout(() => this.rebalance(), this.intervalMs);
  }

  /** Stops the decay timer (the daemon calls it at shutdown). */
  close(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private weights(): Map<string, number> {
    const now = this.clock.monotonic();
    const out = new Map<string, number>();
    for (const [id, a] of this.sessions) out.set(id, Math.max(a.running + this.decayed(a, now), this.idleWeight));
    return out;
  }

  /** A newcomer starts from its current fraction (no notice to itself); the others may be told. */
  private settleNewcomer(sessionId: string): void {
    const a = this.sessions.get(sessionId) as Activity;
    a.notified = this.fraction(sessionId);
    this.rebalance();
  }

  private decayed(a: Activity, now: number): number {
    if (a.requests === 0) return 0;
    return a.requests * 2 ** (-(now - a.at) / this.halfLifeMs);
  }
}
