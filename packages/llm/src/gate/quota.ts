import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '@sylk/core';

export type QuotaPeriod = 'day' | 'week' | 'month';

/** A subscription's soft limits, per provider. null/undefined maximum = unlimited (rely on the provider's 429). */
export interface QuotaConfig {
  period: QuotaPeriod;
  maxRequests?: number | null;
  maxTokens?: number | null;
  warnThreshold?: number;
  criticalThreshold?: number;
}

export type QuotaLevel = 'ok' | 'warning' | 'critical' | 'exhausted';

export interface QuotaWarning {
  provider: string;
  level: Exclude<QuotaLevel, 'ok'>;
  resource: 'requests' | 'tokens';
  used: number;
  limit: number;
  periodEnd: number;
}

/** Local-time period containing `ts`; weeks start Monday 00:00 local. */
export function periodBounds(period: QuotaPeriod, ts: number): { start: number; end: number } {
  const d = new Date(ts);
  if (period === 'day') {
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate());
    return { start: start.getTime(), end: new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime() };
  }
  if (period === 'week') {
    const sinceMonday = (d.getDay() + 6) % 7;
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate() - sinceMonday);
    return {
      start: start.getTime(),
      end: new Date(start.getFullYear(), start.getMonth(), start.getDate() + 7).getTime(),
    };
  }
  return {
    start: new Date(d.getFullYear(), d.getMonth(), 1).getTime(),
    end: new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime(),
  };
}

interface Counter {
  start: number;
  end: number;
  requests: number;
  tokens: number;
  dirty: boolean;
  warned: Set<string>;
}

const LEVELS: readonly QuotaLevel[] = ['ok', 'warning', 'critical', 'exhausted'];

/**
 * Subscription quotas per provider and period, counted in memory and persisted to system.db
 * `subscription_usage` (upsert of the period's totals) when the usage store flushes.
 */
export class QuotaTracker {
  private readonly counters = new Map<string, Counter>();
  private readonly load: Statement | undefined;
  private readonly save: Statement | undefined;

  constructor(
    private readonly quotas: Record<string, QuotaConfig>,
    private readonly clock: Clock,
    private readonly warn: (w: QuotaWarning) => void,
    db?: Database,
  ) {
    if (db !== undefined) {
      this.load = db.prepare(
        'SELECT requests_used, tokens_used FROM subscription_usage WHERE provider = ? AND period = ? AND period_start = ?',
      );
      this.save = db.prepare(
        `INSERT INTO subscription_usage (provider, period, period_start, period_end, requests_used, tokens_used)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (provider, period, period_start) DO UPDATE SET requests_used = excluded.requests_used, tokens_used = excluded.tokens_used`,
      );
    }
  }

  /** The provider's level right now (exhausted = at or over 100% of a maximum). */
  level(provider: string): QuotaLevel {
    const cfg = this.quotas[provider];
    const c = this.counter(provider);
    if (cfg === undefined || c === undefined) return 'ok';
    return LEVELS[Math.max(levelOf(c.requests, cfg.maxRequests, cfg), levelOf(c.tokens, cfg.maxTokens, cfg))] ?? 'ok';
  }

  usage(provider: string): { requests: number; tokens: number; periodEnd: number } | undefined {
    const c = this.counter(provider);
    return c && { requests: c.requests, tokens: c.tokens, periodEnd: c.end };
  }

  /** Counts one request; warns once per period and level. True when something needs persisting. */
  record(provider: string, tokens: number): boolean {
    const cfg = this.quotas[provider];
    const c = this.counter(provider);
    if (cfg === undefined || c === undefined) return false;
    c.requests++;
    c.tokens += tokens;
    c.dirty = true;
    this.check(provider, c, cfg, 'requests', c.requests, cfg.maxRequests);
    this.check(provider, c, cfg, 'tokens', c.tokens, cfg.maxTokens);
    return true;
  }

  /** Writes the dirty counters; call inside the usage store's flush transaction. */
  persist(): void {
    for (const [provider, c] of this.counters) this.persistOne(provider, c);
  }

  private persistOne(provider: string, c: Counter): void {
    if (!c.dirty) return;
    this.save?.run(provider, this.quotas[provider]?.period ?? 'day', c.start, c.end, c.requests, c.tokens);
    c.dirty = false;
  }

  private check(
    provider: string,
    c: Counter,
    cfg: QuotaConfig,
    resource: 'requests' | 'tokens',
    used: number,
    limit: number | null | undefined,
  ): void {
    const level = levelOf(used, limit, cfg);
    if (level === 0 || limit === null || limit === undefined) return;
    const name = LEVELS[level] as Exclude<QuotaLevel, 'ok'>;
    const key = `${resource}:${name}`;
    if (c.warned.has(key)) return;
    c.warned.add(key);
    this.warn({ provider, level: name, resource, used, limit, periodEnd: c.end });
  }

  private counter(provider: string): Counter | undefined {
    const cfg = this.quotas[provider];
    if (cfg === undefined) return undefined;
    const now = this.clock.now();
    let c = this.counters.get(provider);
    if (c === undefined || now >= c.end || now < c.start) {
      if (c !== undefined) this.persistOne(provider, c); // the ending period keeps its final count
      const { start, end } = periodBounds(cfg.period, now);
      const row = this.load?.get(provider, cfg.period, start) as
        { requests_used: number; tokens_used: number } | undefined;
      c = {
        start,
        end,
        requests: row?.requests_used ?? 0,
        tokens: row?.tokens_used ?? 0,
        dirty: false,
        warned: new Set(),
      };
      this.counters.set(provider, c);
    }
    return c;
  }
}

function levelOf(used: number, limit: number | null | undefined, cfg: QuotaConfig): number {
  if (limit === null || limit === undefined || limit <= 0) return 0;
  const f = used / limit;
  if (f >= 1) return 3;
  if (f >= (cfg.criticalThreshold ?? 0.95)) return 2;
  if (f >= (cfg.warnThreshold ?? 0.8)) return 1;
  return 0;
}
