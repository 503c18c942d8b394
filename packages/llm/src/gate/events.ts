import type { ErrorTier, Logger } from '@sylk/core';
import type { ProviderName, Usage } from '../types.js';
import type { BreakerSnapshot, BreakerState } from './breaker.js';
import type { BudgetWarning } from './budget.js';
import type { QuotaWarning } from './quota.js';
import type { RateBlock, RateWarning } from './rate-limiter.js';

interface RequestRef {
  requestId: string;
  sessionId: string | undefined;
  provider: ProviderName;
}

/** A failed attempt will be retried after `delayMs`: retry number `attempt` (1-based) of at most `maxRetries`. */
export interface RetryScheduled extends RequestRef {
  tier: ErrorTier;
  attempt: number;
  maxRetries: number;
  delayMs: number;
  error: string;
  /** The failure's code (`llm.rate_limited`, `llm.provider_degraded`, …). */
  code: string;
}

/**
 * A request waits for a configured per-minute limit (`llm.providers.<name>.rate_limits`) until
 * `until` (wall-clock ms, `delayMs` from now); it holds no worker meanwhile.
 */
export interface RateWait extends RequestRef, Omit<RateBlock, 'model'> {
  /** The model whose own bucket is full; undefined = the provider's bucket. */
  bucketModel: string | undefined;
  delayMs: number;
}

/** Everything the gate tells the rest of the daemon (sessions turn these into user notices). */
export interface GateEventMap {
  /** An in-flight pipeline request was stopped to make room for a user request. */
  preempted: RequestRef & {
    priority: number;
    byRequestId: string;
    requeued: boolean;
    partialChars: number;
    usage: Usage;
  };
  requeued: RequestRef & { reason: 'preempted' | 'retry' | 'paused' };
  retry_scheduled: RetryScheduled;
  /** A provider is paused for everyone (429) until `resumeAt` (wall-clock ms). */
  paused: { provider: ProviderName; resumeAt: number; attempt: number };
  resumed: { provider: ProviderName };
  circuit_state: BreakerSnapshot & { previous: BreakerState };
  quota_warning: (QuotaWarning & { kind: 'subscription' }) | (RateWarning & { kind: 'rate'; provider: ProviderName });
  budget_warning: BudgetWarning;
  transient_alert: { sessionId: string | undefined; resource: string; count: number };
  /** A provider's streams kept failing: its requests go non-streaming until `until`, then probe; or streaming works again. */
  stream_mode: { provider: ProviderName; mode: 'degraded' | 'restored'; until?: number };
}

export type GateEventName = keyof GateEventMap;
type Listener<K extends GateEventName> = (event: GateEventMap[K]) => void;

/** A tiny typed emitter; a throwing listener is logged, never breaks the gate. */
export class GateEvents {
  private readonly listeners = new Map<GateEventName, Set<(e: never) => void>>();

  constructor(private readonly logger: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends GateEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (e: never) => void);
    return () => set.delete(listener as (e: never) => void);
  }

  emit<K extends GateEventName>(name: K, event: GateEventMap[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const l of set) {
      try {
        (l as Listener<K>)(event);
      } catch (err) {
        this.logger.error({ err, event: name }, 'gate event listener threw');
      }
    }
  }
}
