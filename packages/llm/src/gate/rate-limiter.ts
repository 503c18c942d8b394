import Bottleneck from 'bottleneck';
import type { Clock } from '@sylk/core';
import type { ProviderErrorInfo } from '../types.js';

export interface BucketConfig {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** Per provider; `models` adds per-model buckets on top of the provider's. */
export interface RateLimitConfig extends BucketConfig {
  models?: Record<string, BucketConfig>;
  /** Soft-limit warning threshold (fraction of a per-minute limit), once per minute. */
  warnAt?: number;
}

export interface RateWarning {
  resource: 'requests' | 'tokens';
  model: string | undefined;
  used: number;
  limit: number;
  periodEnd: number;
}

const MINUTE = 60_000;
const MAX_PAUSE_MS = 5 * MINUTE;

/** Token buckets (Bottleneck reservoir + refresh) and soft-limit counters for one scope. */
class Buckets {
  private readonly requests: Bottleneck | undefined;
  private readonly tokens: Bottleneck | undefined;
  private periodStart = -1;
  private usedRequests = 0;
  private usedTokens = 0;
  private warned = new Set<string>();

  constructor(
    readonly model: string | undefined,
    private readonly cfg: BucketConfig,
  ) {
    const bucket = (n: number) =>
      new Bottleneck({ reservoir: n, reservoirRefreshAmount: n, reservoirRefreshInterval: MINUTE });
    if (cfg.requestsPerMinute !== undefined && cfg.requestsPerMinute > 0) this.requests = bucket(cfg.requestsPerMinute);
    if (cfg.tokensPerMinute !== undefined && cfg.tokensPerMinute > 0) this.tokens = bucket(cfg.tokensPerMinute);
  }

  async acquire(tokens: number): Promise<void> {
    const noop = () => Promise.resolve();
    if (this.requests) await this.requests.schedule({ weight: 1 }, noop);
    const tpm = this.cfg.tokensPerMinute ?? 0;
    // A request bigger than the whole bucket would wait forever; it takes the full bucket instead.
    if (this.tokens) await this.tokens.schedule({ weight: Math.max(1, Math.min(Math.ceil(tokens), tpm)) }, noop);
  }

  /** Headers say how much is really left: trust them over our own count. */
  observe(rl: NonNullable<ProviderErrorInfo['rateLimit']>): void {
    if (this.requests && rl.requestsRemaining !== undefined)
      this.requests.updateSettings({ reservoir: rl.requestsRemaining });
    if (this.tokens && rl.tokensRemaining !== undefined) this.tokens.updateSettings({ reservoir: rl.tokensRemaining });
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

  async close(): Promise<void> {
    await Promise.all([this.requests?.disconnect(false), this.tokens?.disconnect(false)]);
  }
}

/**
 * One limiter per provider shared by all sessions. Pacing uses token buckets when
 * limits are configured (none configured = no cost on the hot path). A 429 pauses the whole
 * provider for min(1 s × 2^attempt, 5 min) or the server's Retry-After; a success resets.
 */
export class ProviderRateLimiter {
  private pauseUntil = 0;
  private attempt = 0;
  private readonly provider: Buckets | undefined;
  private readonly models = new Map<string, Buckets>();
  private readonly warnAt: number;

  constructor(
    readonly name: string,
    config: RateLimitConfig | undefined,
    private readonly clock: Clock,
    private readonly warn: (w: RateWarning) => void,
  ) {
    this.warnAt = config?.warnAt ?? 0.8;
    if (config?.requestsPerMinute !== undefined || config?.tokensPerMinute !== undefined)
      this.provider = new Buckets(undefined, config);
    for (const [model, cfg] of Object.entries(config?.models ?? {})) this.models.set(model, new Buckets(model, cfg));
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
    this.provider?.observe(rl);
    this.models.get(model)?.observe(rl);
    if ((rl.requestsRemaining === 0 || rl.tokensRemaining === 0) && rl.resetMs !== undefined) {
      this.pauseUntil = Math.max(this.pauseUntil, this.clock.now() + rl.resetMs);
    }
  }

  /** Waits for bucket capacity; undefined (synchronously) when no bucket applies. */
  acquire(model: string, tokens: number): Promise<void> | undefined {
    const m = this.models.get(model);
    if (this.provider === undefined && m === undefined) return undefined;
    return Promise.all([this.provider?.acquire(tokens), m?.acquire(tokens)]).then(() => undefined);
  }

  /** Counts usage toward the soft limits; warns at `warnAt` once per period. */
  record(model: string, tokens: number): void {
    if (this.provider === undefined && this.models.size === 0) return;
    const now = this.clock.now();
    this.provider?.count(now, tokens, this.warnAt, this.warn);
    this.models.get(model)?.count(now, tokens, this.warnAt, this.warn);
  }

  async close(): Promise<void> {
    await Promise.all([this.provider?.close(), ...[...this.models.values()].map((b) => b.close())]);
  }
}
