import type { Database } from 'better-sqlite3';
import type { Logger } from '@sylk/core';
import { UsageStore, type UsageRecord } from '@sylk/llm/gate';
import type { AuditSink } from '@sylk/security';

/**
 * The gate's usage store, also writing one audit record per LLM call: provider, model, tokens,
 * cost, latency and outcome — never prompts or replies. Usage is where every call ends (ok,
 * partial, preempted or failed), so this is the one place that sees them all.
 */
export class AuditedUsageStore extends UsageStore {
  constructor(
    db: Database,
    opts: { logger: Logger },
    private readonly audit: AuditSink,
    /** Also told of every record (the daemon's metrics). */
    private readonly observe?: (rec: UsageRecord) => void,
  ) {
    super(db, opts);
  }

  override record(rec: UsageRecord): void {
    super.record(rec);
    this.observe?.(rec);
    this.audit.record({
      category: 'llm',
      action: 'llm_call',
      target: `${rec.provider}/${rec.model}`,
      outcome: rec.outcome,
      severity: rec.outcome === 'ok' ? 'info' : 'warning',
      ...(rec.sessionId ? { sessionId: rec.sessionId } : {}),
      details: {
        requestId: rec.requestId,
        agentType: rec.agentType ?? null,
        inputTokens: rec.inputTokens,
        outputTokens: rec.outputTokens,
        cacheReadTokens: rec.cacheReadTokens,
        cacheWriteTokens: rec.cacheWriteTokens,
        costUsd: rec.costUsd,
        latencyMs: Math.round(rec.latencyMs),
      },
    });
  }
}
