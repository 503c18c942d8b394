import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from '@sylk/core';
import type { Timers, TimerHandle } from './types.js';
import { systemTimers } from './types.js';
import { UsageTotals } from './usage-totals.js';

/** One row of system.db `usage`: one provider attempt (a retried request writes several). */
export interface UsageRecord {
  ts: number;
  requestId: string;
  sessionId?: string | undefined;
  pipelineId?: string | undefined;
  taskId?: string | undefined;
  agentId?: string | undefined;
  agentType?: string | undefined;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: number;
  /** ok | partial:<reason> | preempted | cancelled | error:<tier> */
  outcome: string;
}

export type ReportGroup = 'provider' | 'model' | 'session' | 'agent' | 'task' | 'day';

export interface ReportQuery {
  sessionId?: string;
  provider?: string;
  model?: string;
  since?: number;
  until?: number;
  groupBy: ReportGroup;
}

export interface ReportRow {
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheRead: number;
  cacheWrite: number;
  costUsd: number;
}

export interface UsageStoreOptions {
  logger: Logger;
  timers?: Timers;
  flushIntervalMs?: number;
  maxBatch?: number;
}

const GROUP_SQL: Record<ReportGroup, string> = {
  provider: 'provider',
  model: 'model',
  session: "COALESCE(session_id, '')",
  agent: "COALESCE(agent_type, agent_id, '')",
  task: "COALESCE(task_id, '')",
  day: "strftime('%Y-%m-%d', ts / 1000, 'unixepoch', 'localtime')",
};

/** Buffered records kept across a failed flush before the oldest are dropped (and logged). */
const MAX_RETAINED = 50_000;

/**
 * Usage records in system.db `usage`. The hot path only appends to a buffer and bumps the
 * in-memory totals; the buffer is written in one transaction every `flushIntervalMs` (100 ms),
 * when it reaches `maxBatch` (500) records, and on close. Totals are rebuilt from the table at start.
 */
export class UsageStore {
  readonly totals = new UsageTotals();
  private buffer: UsageRecord[] = [];
  private timer: TimerHandle | undefined;
  private readonly insert: Statement;
  private readonly hooks: Array<() => void> = [];
  private readonly timers: Timers;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private transactionCount = 0;

  constructor(
    private readonly db: Database,
    private readonly opts: UsageStoreOptions,
  ) {
    this.timers = opts.timers ?? systemTimers;
    this.flushIntervalMs = opts.flushIntervalMs ?? 100;
    this.maxBatch = opts.maxBatch ?? 500;
    this.insert = db.prepare(
      `INSERT INTO usage (ts, request_id, session_id, pipeline_id, task_id, agent_id, agent_type, provider, model,
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, latency_ms, outcome)
       VALUES (@ts, @requestId, @sessionId, @pipelineId, @taskId, @agentId, @agentType, @provider, @model,
         @inputTokens, @outputTokens, @cacheReadTokens, @cacheWriteTokens, @costUsd, @latencyMs, @outcome)`,
    );
    this.rebuildTotals();
  }

  /** Transactions committed so far (for tests and metrics). */
  get transactions(): number {
    return this.transactionCount;
  }

  get pending(): number {
    return this.buffer.length;
  }

  record(rec: UsageRecord): void {
    this.buffer.push(rec);
    const tokens = rec.inputTokens + rec.outputTokens + rec.cacheReadTokens + rec.cacheWriteTokens;
    this.totals.add(rec, { requests: 1, tokens, costUsd: rec.costUsd });
    if (this.buffer.length >= this.maxBatch) this.flush();
    else this.schedule();
  }

  /** Runs `hook` inside every flush transaction (quota counters ride along). */
  onFlush(hook: () => void): void {
    this.hooks.push(hook);
  }

  /** Something other than a record needs writing (quota counters). */
  schedule(): void {
    if (this.timer === undefined) this.timer = this.timers.setTimeout(() => this.flush(), this.flushIntervalMs);
  }

  flush(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.db.transaction(() => {
        for (const r of batch) this.insert.run(toRow(r));
        for (const hook of this.hooks) hook();
      })();
      this.transactionCount++;
    } catch (err) {
      const kept = [...batch, ...this.buffer];
      this.buffer = kept.slice(Math.max(0, kept.length - MAX_RETAINED));
      this.opts.logger.error(
        { err, records: batch.length, dropped: kept.length - this.buffer.length },
        'usage flush failed; will retry',
      );
      this.schedule();
    }
  }

  /** Attribution report; flushes first so it sees everything recorded. */
  report(q: ReportQuery): ReportRow[] {
    this.flush();
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    const add = (sql: string, name: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(sql);
      params[name] = value;
    };
    add('session_id = @sessionId', 'sessionId', q.sessionId);
    add('provider = @provider', 'provider', q.provider);
    add('model = @model', 'model', q.model);
    add('ts >= @since', 'since', q.since);
    add('ts < @until', 'until', q.until);
    const key = GROUP_SQL[q.groupBy];
    const sql = `SELECT ${key} AS key, COUNT(*) AS requests, SUM(input_tokens) AS inputTokens,
        SUM(output_tokens) AS outputTokens, SUM(cache_read_tokens) AS cacheRead,
        SUM(cache_write_tokens) AS cacheWrite, SUM(cost_usd) AS costUsd
      FROM usage ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY 1 ORDER BY costUsd DESC, key`;
    return this.db.prepare(sql).all(params) as ReportRow[];
  }

  close(): void {
    this.flush();
  }

  private rebuildTotals(): void {
    const rows = this.db
      .prepare(
        `SELECT session_id, task_id, provider, agent_type, COUNT(*) AS requests,
           SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens) AS tokens, SUM(cost_usd) AS cost
         FROM usage GROUP BY session_id, task_id, provider, agent_type`,
      )
      .all() as Array<{
      session_id: string | null;
      task_id: string | null;
      provider: string;
      agent_type: string | null;
      requests: number;
      tokens: number;
      cost: number;
    }>;
    for (const r of rows) {
      this.totals.add(
        {
          sessionId: r.session_id ?? undefined,
          taskId: r.task_id ?? undefined,
          provider: r.provider,
          agentType: r.agent_type ?? undefined,
        },
        { requests: r.requests, tokens: r.tokens, costUsd: r.cost },
      );
    }
  }
}

function toRow(r: UsageRecord): Record<string, string | number | null> {
  return {
    ts: r.ts,
    requestId: r.requestId,
    sessionId: r.sessionId ?? null,
    pipelineId: r.pipelineId ?? null,
    taskId: r.taskId ?? null,
    agentId: r.agentId ?? null,
    agentType: r.agentType ?? null,
    provider: r.provider,
    model: r.model,
    inputTokens: Math.round(r.inputTokens),
    outputTokens: Math.round(r.outputTokens),
    cacheReadTokens: Math.round(r.cacheReadTokens),
    cacheWriteTokens: Math.round(r.cacheWriteTokens),
    costUsd: r.costUsd,
    latencyMs: Math.round(r.latencyMs),
    outcome: r.outcome,
  };
}
