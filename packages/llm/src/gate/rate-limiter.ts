import type { Clock } from '@sylk/core';
import type { ProviderErrorInfo } from '../types.js';

/** Per-minute limits of one scope; absent or 0 = no limit. */
interface BucketConfig {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** Per provider; `models` adds per-model buckets on top of the provider's. */
export interface RateLimitConfig extends BucketConfig {
  models?: Record<string, BucketConfig>;
  /** Soft-limit warning threshold (fraction of a per-minute limit), once per minute. */
  warnAt?: number;
  /** Requests in flight to the provider at once (its connections); absent or 0: no cap of its own. */
  maxConcurrent?: number;
}

export interface RateWarning {
  resource: 'requests' | 'tokens';
  model: string | undefined;
  used: number;
  limit: number;
  periodEnd: number;
}

/** The configured limit a request waits for, and when its window refills (wall-clock ms). */
export interface RateBlock {
  resource: 'requests' | 'tokens';
  /** The model's own bucket; undefined = the provider's. */
  model: string | undefined;
  limit: number;
  until: number;
}

const MINUTE = 60_000;
const MAX_PAUSE_MS = 5 * MINUTE;

const positive = (n: number | undefined): number => (n !== undefined && n > 0 ? n : 0);

/**
 * One per-minute allowance: up to `limit` units from the first use of a window until a minute
 * later, then a fresh window. On the injected clock, so a wait's end is known exactly.
 */
class Window {
  private start = Number.NEGATIVE_INFINITY;
  private used = 0;

  constructor(public limit: number) {}

  private open(now: number): boolean {
    return now < this.start + MINUTE;
  }

  /** 0 when `units` fit now, else when the window refills. A request bigger than the limit needs a whole window. */
  blockedUntil(now: number, units: number): number {
    if (!this.open(now)) return 0;
    return this.used + Math.min(units, this.limit) <= this.limit ? 0 : this.start + MINUTE;
  }

  take(now: number, units: number): void {
    if (!this.open(now)) [this.start, this.used] = [now, 0];
    this.used += Math.min(units, this.limit);
  }

  /** The provider's headers say how much is left: trust them when they say less than our count. */
  observe(now: number, remaining: number): void {
    if (!this.open(now)) [this.start, this.used] = [now, 0];
    this.used = Math.max(this.used, this.limit - remaining);
  }

  usedAt(now: number): number {
    return this.open(now) ? this.used : 0;
  }
}

/** The request and token windows of one scope (the provider, or one model), and its soft-limit counters. */
class Buckets {
  private requests: Window | undefined;
  private tokens: Window | undefined;
  private periodStart = -1;
  private usedRequests = 0;
  private usedTokens = 0;
  private readonly warned = new Set<string>();

  constructor(
    readonly model: string | undefined,
    private cfg: BucketConfig,
  ) {
    this.configure(cfg);
  }

  /** New limits apply to the next request; what the current window used stays counted. */
  configure(cfg: BucketConfig): void {
    this.cfg = cfg;
    const window = (existing: Window | undefined, limit: number) => {
      if (limit === 0) return undefined;
      if (existing === undefined) return new Window(limit);
      existing.limit = limit;
      return existing;
    };
    this.requests = window(this.requests, positive(cfg.requestsPerMinute));
    this.tokens = window(this.tokens, positive(cfg.tokensPerMinute));
  }

  blocked(now: number, tokens: number): RateBlock | undefined {
    let block: RateBlock | undefined;
    const check = (resource: RateBlock['resource'], w: Window | undefined, units: number) => {
      const until = w?.blockedUntil(now, units) ?? 0;
      if (w !== undefined && until > (block?.until ?? 0))
        block = { resource, model: this.model, limit: w.limit, until };
    };
    check('requests', this.requests, 1);
    check('tokens', this.tokens, Math.max(1, Math.ceil(tokens)));
    return block;
  }

  take(now: number, tokens: number): void {
    this.requests?.take(now, 1);
    this.tokens?.take(now, Math.max(1, Math.ceil(tokens)));
  }

  observe(now: number, rl: NonNullable<ProviderErrorInfo['rateLimit']>): void {
    if (rl.requestsRemaining !== undefined) this.requests?.observe(now, rl.requestsRemaining);
    if (rl.tokensRemaining !== undefined) this.tokens?.observe(now, rl.tokensRemaining);
  }

  used(now: number): { requests: number; tokens: number } {
    return { requests: this.requests?.usedAt(now) ?? 0, tokens: this.tokens?.usedAt(now) ?? 0 };
  }

  count(now: number, tokens: number, warnAt: number, warn: (w: RateWarning) => void): void {
    const start = Math.floor(now / MINUTE) * MINUTE;
    if (start !== this.periodStart) {
      this.periodStart = start;
      this.usedRequests = 0;
      this.usedTokens = 0;
      this.warned.clear();
    }
    this.usedRequests++;
    this.usedTokens += tokens;
    const check = (resource: 'requests' | 'tokens', used: number, limit: number | undefined) => {
      if (limit === undefined || limit <= 0 || used < warnAt * limit || this.warned.has(resource)) return;
      this.warned.add(resource);
      warn({ resource, model: this.model, used, limit, periodEnd: start + MINUTE });
    };
    check('requests', this.usedRequests, this.cfg.requestsPerMinute);
    check('tokens', this.usedTokens, this.cfg.tokensPerMinute);
  }
}

/**
 * One limiter per provider shared by all sessions. Pacing: per-minute request and token windows
 * for the provider and per model, when configured (none = nothing on the hot path); the gate
 * checks `blocked` before a request takes a worker and parks it until the window refills.
 * A 429 pauses the whole provider for min(1 s × 2^attempt, 5 min) or the server's Retry-After;
 * a success resets.
 */
export class ProviderRateLimiter {
  private pauseUntil = 0;
  private attempt = 0;
  private config: RateLimitConfig | undefined;
  private provider: Buckets | undefined;
  private readonly models = new Map<string, Buckets>();
  private warnAt = 0.8;

  constructor(
    readonly name: string,
    config: RateLimitConfig | undefined,
    private readonly clock: Clock,
    private readonly warn: (w: RateWarning) => void,
  ) {
    this.configure(config);
  }

  /** Replaces the limits (config reload): they apply to the next request; current windows keep their counts. */
  configure(config: RateLimitConfig | undefined): void {
    this.config = config;
    this.warnAt = config?.warnAt ?? 0.8;
    const scope = (existing: Buckets | undefined, model: string | undefined, cfg: BucketConfig | undefined) => {
      if (cfg === undefined || (positive(cfg.requestsPerMinute) === 0 && positive(cfg.tokensPerMinute) === 0))
        return undefined;
      if (existing === undefined) return new Buckets(model, cfg);
      existing.configure(cfg);
      return existing;
    };
    this.provider = scope(this.provider, undefined, config);
    const models = config?.models ?? {};
    for (const model of [...this.models.keys()]) if (!Object.hasOwn(models, model)) this.models.delete(model);
    for (const [model, cfg] of Object.entries(models)) {
      const b = scope(this.models.get(model), model, cfg);
      if (b === undefined) this.models.delete(model);
      else this.models.set(model, b);
    }
  }

  /** The configured limits (undefined: none). */
  limits(): RateLimitConfig | undefined {
    return this.config;
  }

  /** Requests and tokens the provider's own window has used so far. */
  used(): { requests: number; tokens: number } {
    return this.provider?.used(this.clock.now()) ?? { requests: 0, tokens: 0 };
  }

  /** Wall-clock ms when sending may resume, or 0 when not paused. */
  pausedUntil(): number {
    return this.pauseUntil > this.clock.now() ? this.pauseUntil : 0;
  }

  get consecutive429s(): number {
    return this.attempt;
  }

  /** A 429 (not a spend limit): pause the provider for everyone; returns the resume time. */
  onRateLimited(info: Pick<ProviderErrorInfo, 'retryAfterMs' | 'rateLimit'>): number {
    const backoff = Math.min(1000 * 2 ** this.attempt, MAX_PAUSE_MS);
    this.attempt++;
    const delay = info.retryAfterMs ?? info.rateLimit?.resetMs ?? backoff;
    this.pauseUntil = Math.max(this.pauseUntil, this.clock.now() + delay);
    return this.pauseUntil;
  }

  onSuccess(): void {
    this.attempt = 0;
  }

  /** Applies rate-limit headers; pauses until the reset when a limit is exhausted. */
  observe(rl: ProviderErrorInfo['rateLimit'], model: string): void {
    if (rl === undefined) return;
    const now = this.clock.now();
    this.provider?.observe(now, rl);
    this.models.get(model)?.observe(now, rl);
    if ((rl.requestsRemaining === 0 || rl.tokensRemaining === 0) && rl.resetMs !== undefined) {
      this.pauseUntil = Math.max(this.pauseUntil, now + rl.resetMs);
    }
  }

  /** The limit a request of `tokens` (estimated) would pass now, with the latest refill among them; undefined = it fits. */
  blocked(model: string, tokens: number): RateBlock | undefined {
    const m = this.models.get(model);
    if (this.provider === undefined && m === undefined) return undefined;
    const now = this.clock.now();
    const a = this.provider?.blocked(now, tokens);
    const b = m?.blocked(now, tokens);
    return a === undefined || (b !== undefined && b.until > a.until) ? b : a;
  }

  /** Counts a request that is being sent against its provider's and model's windows. */
  take(model: string, tokens: number): void {
    if (this.provider === undefined && this.models.size === 0) return;
    const now = this.clock.now();
    this.provider?.take(now, tokens);
    this.models.get(model)?.take(now, tokens);
  }

  /** Counts usage toward the soft limits; warns at `warnAt` once per period. */
  record(model: string, tokens: number): void {
    if (this.provider === undefined && this.models.size === 0) return;
    const now = this.clock.now();
    this.provider?.count(now, tokens, this.warnAt, this.warn);
    this.models.get(model)?.count(now, tokens, this.warnAt, this.warn);
  }
}
