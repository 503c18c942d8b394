import type { Clock } from '@sylk/core';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Defaults for a provider: 5 consecutive, 50% over the last 20, 30 s cooldown, 3 probes to close. */
export interface BreakerConfig {
  consecutiveFailures: number;
  failureRate: number;
  window: number;
  cooldownMs: number;
  probesToClose: number;
}

export const LLM_BREAKER_DEFAULTS: BreakerConfig = {
  consecutiveFailures: 5,
  failureRate: 0.5,
  window: 20,
  cooldownMs: 30_000,
  probesToClose: 3,
};

export interface BreakerSnapshot {
  id: string;
  state: BreakerState;
  /** Consecutive failures. */
  failures: number;
  lastFailure: number | undefined;
  lastStateChange: number;
  cooldownEnds: number | undefined;
}

/** allow: go; probe: go, as the single half-open probe; open: wait until `retryAt`; busy: a probe is out. */
export type BreakerDecision = 'allow' | 'probe' | 'open' | 'busy';

/**
 * One circuit breaker, shared by every session. Only provider-health outcomes are recorded:
 * request errors (permanent, user-fixable) and rate limits say nothing about provider health.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private lastFailure: number | undefined;
  private lastStateChange: number;
  private cooldownEnds: number | undefined;
  private readonly outcomes: boolean[] = [];
  private outcomeFailures = 0;
  private probeOut = false;
  private probeSuccesses = 0;

  constructor(
    readonly id: string,
    private readonly config: BreakerConfig,
    private readonly clock: Clock,
    private readonly onChange: (snap: BreakerSnapshot, previous: BreakerState) => void,
    restored?: BreakerSnapshot,
  ) {
    this.lastStateChange = clock.now();
    if (restored !== undefined && restored.state !== 'closed') {
      // A half-open breaker lost its probe with the old process: treat it as open, cooldown over.
      this.state = 'open';
      this.failures = restored.failures;
      this.lastFailure = restored.lastFailure;
      this.lastStateChange = restored.lastStateChange;
      this.cooldownEnds = restored.state === 'open' ? (restored.cooldownEnds ?? clock.now()) : clock.now();
    }
  }

  decide(): BreakerDecision {
    if (this.state === 'closed') return 'allow';
    if (this.state === 'open') {
      if (this.clock.now() < (this.cooldownEnds ?? 0)) return 'open';
      this.transition('half_open');
    }
    if (this.probeOut) return 'busy';
    this.probeOut = true;
    return 'probe';
  }

  /** When a caller told `open` should look again. */
  retryAt(): number {
    return this.cooldownEnds ?? this.clock.now();
  }

  record(success: boolean, wasProbe: boolean): void {
    const now = this.clock.now();
    if (this.state === 'half_open') {
      if (!wasProbe) return; // a request from before the trip: says nothing new
      this.probeOut = false;
      if (!success) {
        this.lastFailure = now;
        this.failures++;
        this.trip();
      } else if (++this.probeSuccesses >= this.config.probesToClose) {
        this.transition('closed');
      }
      return;
    }
    if (this.state === 'open') return;
    this.outcomes.push(!success);
    if (!success) this.outcomeFailures++;
    if (this.outcomes.length > this.config.window && this.outcomes.shift() === true) this.outcomeFailures--;
    if (success) {
      this.failures = 0;
      return;
    }
    this.failures++;
    this.lastFailure = now;
    const rateTrip =
      this.outcomes.length >= this.config.window &&
      this.outcomeFailures / this.outcomes.length >= this.config.failureRate;
    if (this.failures >= this.config.consecutiveFailures || rateTrip) this.trip();
  }

  /** The probe ended without a health verdict (cancelled, preempted, request error). */
  releaseProbe(): void {
    this.probeOut = false;
  }

  reset(): void {
    this.transition('closed');
  }

  snapshot(): BreakerSnapshot {
    return {
      id: this.id,
      state: this.state,
      failures: this.failures,
      lastFailure: this.lastFailure,
      lastStateChange: this.lastStateChange,
      cooldownEnds: this.cooldownEnds,
    };
  }

  private trip(): void {
    this.cooldownEnds = this.clock.now() + this.config.cooldownMs;
    this.transition('open');
  }

  private transition(next: BreakerState): void {
    const previous = this.state;
    this.state = next;
    this.lastStateChange = this.clock.now();
    this.probeOut = false;
    this.probeSuccesses = 0;
    if (next === 'closed') {
      this.failures = 0;
      this.cooldownEnds = undefined;
      this.outcomes.length = 0;
      this.outcomeFailures = 0;
    }
    if (next === 'open') {
      this.outcomes.length = 0;
      this.outcomeFailures = 0;
    }
    this.onChange(this.snapshot(), previous);
  }
}
