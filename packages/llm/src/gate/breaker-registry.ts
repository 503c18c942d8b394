import type { Database, Statement } from 'better-sqlite3';
import type { Clock, Logger } from '@sylk/core';
import { CircuitBreaker, LLM_BREAKER_DEFAULTS } from './breaker.js';
import type { BreakerConfig, BreakerSnapshot, BreakerState } from './breaker.js';

interface Row {
  resource_id: string;
  state: string;
  failures: number;
  last_failure: number | null;
  last_state_change: number;
  cooldown_ends: number | null;
}

export interface BreakerRegistryOptions {
  clock: Clock;
  logger: Logger;
  db?: Database;
  /** Per breaker id (e.g. `llm:anthropic`) overrides of the LLM defaults. */
  config?: Record<string, Partial<BreakerConfig>>;
  onChange?: (snap: BreakerSnapshot, previous: BreakerState) => void;
}

const STATES: readonly string[] = ['closed', 'open', 'half_open'];

/**
 * Lazily created breakers by resource id, persisted to system.db `circuit_breakers` on every state
 * change (rare, so written directly) and loaded on construction so Open survives a restart.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly restored = new Map<string, BreakerSnapshot>();
  private readonly upsert: Statement | undefined;

  constructor(private readonly opts: BreakerRegistryOptions) {
    const db = opts.db;
    if (db === undefined) return;
    this.upsert = db.prepare(
      `INSERT INTO circuit_breakers (resource_id, state, failures, last_failure, last_state_change, cooldown_ends)
       VALUES (@id, @state, @failures, @lastFailure, @lastStateChange, @cooldownEnds)
       ON CONFLICT (resource_id) DO UPDATE SET state = excluded.state, failures = excluded.failures,
         last_failure = excluded.last_failure, last_state_change = excluded.last_state_change,
         cooldown_ends = excluded.cooldown_ends`,
    );
    for (const row of db.prepare('SELECT * FROM circuit_breakers').all() as Row[]) {
      if (!STATES.includes(row.state)) continue;
      this.restored.set(row.resource_id, {
        id: row.resource_id,
        state: row.state as BreakerState,
        failures: row.failures,
        lastFailure: row.last_failure ?? undefined,
        lastStateChange: row.last_state_change,
        cooldownEnds: row.cooldown_ends ?? undefined,
      });
    }
    // Materialize restored non-closed breakers so status shows them before any traffic.
    for (const [id, snap] of this.restored) if (snap.state !== 'closed') this.get(id);
  }

  get(id: string): CircuitBreaker {
    let breaker = this.breakers.get(id);
    if (breaker === undefined) {
      const config = { ...LLM_BREAKER_DEFAULTS, ...this.opts.config?.[id] };
      breaker = new CircuitBreaker(
        id,
        config,
        this.opts.clock,
        (snap, prev) => this.changed(snap, prev),
        this.restored.get(id),
      );
      this.breakers.set(id, breaker);
    }
    return breaker;
  }

  list(): BreakerSnapshot[] {
    return [...this.breakers.values()].map((b) => b.snapshot()).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Manual reset: closes the breaker and resumes everyone waiting on it. */
  reset(id: string): void {
    this.get(id).reset();
  }

  private changed(snap: BreakerSnapshot, previous: BreakerState): void {
    this.opts.logger.info(
      { breaker: snap.id, from: previous, to: snap.state, cooldownEnds: snap.cooldownEnds },
      'circuit breaker state changed',
    );
    try {
      this.upsert?.run({
        id: snap.id,
        state: snap.state,
        failures: snap.failures,
        lastFailure: snap.lastFailure ?? null,
        lastStateChange: snap.lastStateChange,
        cooldownEnds: snap.cooldownEnds ?? null,
      });
    } catch (err) {
      this.opts.logger.error({ err, breaker: snap.id }, 'could not persist circuit breaker state');
    }
    this.opts.onChange?.(snap, previous);
  }
}
