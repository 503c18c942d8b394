import type { ProviderName } from '@sylk/llm';
import type { UsageRecord } from '@sylk/llm/gate';
import type { DaemonLlm } from '../llm/llm.js';
import type { MetricsRegistry } from './registry.js';

/** Seconds; an attempt spans the provider's whole answer. */
const ATTEMPT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Breaker states as the gauge's value. */
const BREAKER_VALUE: Readonly<Record<string, number>> = { closed: 0, half_open: 1, open: 2 };
/** ok, preempted, error:<tier>, partial:<reason>: short words only, anything else reads `other`. */
const OUTCOME = /^[a-z_]{1,24}(:[a-z_]{1,24})?$/;

/**
 * The LLM gate's metrics: every provider attempt as the usage store records it (count, tokens,
 * cost, latency), retries as the gate announces them, and at scrape time the gate's own counters,
 * queue depths and breaker states.
 */
export class GateMetrics {
  private readonly attempts;
  private readonly tokens;
  private readonly cost;
  private readonly latency;
  private readonly retries;

  constructor(private readonly registry: MetricsRegistry) {
    this.attempts = registry.counter({
      name: 'sylk_gate_attempts_total',
      help: 'Provider attempts (a retried request counts each), by provider, model and outcome (ok, preempted, partial:<reason>, error:<tier>).',
      labelNames: ['provider', 'model', 'outcome'],
    });
    this.tokens = registry.counter({
      name: 'sylk_gate_tokens_total',
      help: 'Tokens of provider attempts, by provider, model and kind (input, output, cache_read, cache_write).',
      labelNames: ['provider', 'model', 'kind'],
    });
    this.cost = registry.counter({
      name: 'sylk_gate_cost_usd_total',
      help: 'Cost of provider attempts in US dollars (catalogue prices), by provider and model.',
      labelNames: ['provider', 'model'],
    });
    this.latency = registry.histogram({
      name: 'sylk_gate_attempt_duration_seconds',
      help: 'Duration of provider attempts (sent to the last chunk), by provider.',
      labelNames: ['provider'],
      buckets: ATTEMPT_BUCKETS,
    });
    this.retries = registry.counter({
      name: 'sylk_gate_retries_total',
      help: 'Retries the gate scheduled, by provider and error tier.',
      labelNames: ['provider', 'tier'],
    });
  }

  /** One usage record (the usage store's hook): an attempt that reached its end. */
  readonly recordUsage = (rec: UsageRecord): void => {
    const outcome = OUTCOME.test(rec.outcome) ? rec.outcome : 'other';
    this.attempts.inc(1, rec.provider, rec.model, outcome);
    this.tokens.inc(rec.inputTokens, rec.provider, rec.model, 'input');
    this.tokens.inc(rec.outputTokens, rec.provider, rec.model, 'output');
    if (rec.cacheReadTokens > 0) this.tokens.inc(rec.cacheReadTokens, rec.provider, rec.model, 'cache_read');
    if (rec.cacheWriteTokens > 0) this.tokens.inc(rec.cacheWriteTokens, rec.provider, rec.model, 'cache_write');
    this.cost.inc(rec.costUsd, rec.provider, rec.model);
    this.latency.observe(rec.latencyMs / 1000, rec.provider);
  };

  /** The figures read at scrape time, and the retry events; returns the unsubscribe. */
  watch(llm: DaemonLlm): () => void {
    const r = this.registry;
    const { gate } = llm;
    r.collect({
      name: 'sylk_gate_requests_total',
      help: 'Requests the gate settled (completed, failed) or refused because the pipeline queue was full (rejected).',
      type: 'counter',
      labelNames: ['outcome'],
      collect: (emit) => {
        const s = gate.stats();
        emit(s.completed, 'completed');
        emit(s.failed, 'failed');
        emit(s.rejected, 'rejected');
      },
    });
    r.collect({
      name: 'sylk_gate_preemptions_total',
      help: 'Pipeline requests stopped to make room for a user request.',
      type: 'counter',
      collect: (emit) => emit(gate.stats().preempted),
    });
    r.collect({
      name: 'sylk_gate_queue_depth',
      help: 'Requests waiting in the gate: queue user or pipeline, or parked (rate limit, 429 pause, open breaker, retry backoff).',
      type: 'gauge',
      labelNames: ['queue'],
      collect: (emit) => {
        const s = gate.stats();
        emit(s.queued.user, 'user');
        emit(s.queued.pipeline, 'pipeline');
        emit(s.waiting, 'parked');
      },
    });
    r.collect({
      name: 'sylk_gate_in_flight',
      help: 'Requests holding one of the gate workers now.',
      type: 'gauge',
      collect: (emit) => emit(gate.stats().inFlight),
    });
    r.collect({
      name: 'sylk_gate_workers',
      help: 'Gate workers (llm.queue.workers).',
      type: 'gauge',
      collect: (emit) => emit(llm.workers),
    });
    r.collect({
      name: 'sylk_gate_breaker_state',
      help: 'Circuit breaker of each provider: 0 closed, 1 half-open, 2 open.',
      type: 'gauge',
      labelNames: ['provider'],
      collect: (emit) => {
        const states = new Map(gate.breakers().map((b) => [b.id, b.state]));
        for (const p of llm.providers()) emit(BREAKER_VALUE[states.get(`llm:${p.name}`) ?? 'closed'] ?? 0, p.name);
      },
    });
    r.collect({
      name: 'sylk_gate_provider_paused',
      help: 'Whether a provider is paused for everyone after a 429 (1) or not (0).',
      type: 'gauge',
      labelNames: ['provider'],
      collect: (emit) => {
        for (const p of llm.providers()) emit(gate.pausedUntil(p.name as ProviderName) > 0 ? 1 : 0, p.name);
      },
    });
    return gate.on('retry_scheduled', (e) => this.retries.inc(1, e.provider, e.tier));
  }
}
