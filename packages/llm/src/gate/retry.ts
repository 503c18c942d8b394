import { ErrorTier } from '@sylk/core';
import type { RandomFn } from './types.js';

/** Per tier (docs/design/errors.md). `retries` counts attempts after the first one (Permanent: 0 = never retried). */
export interface RetryPolicy {
  retries: number;
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Fraction of the delay, e.g. 0.1 = ±10%. */
  jitter: number;
}

const none: RetryPolicy = { retries: 0, initialMs: 0, maxMs: 0, multiplier: 1, jitter: 0 };

/** @internal exported for tests */
export const DEFAULT_RETRY_POLICIES: Readonly<Record<ErrorTier, RetryPolicy>> = {
  [ErrorTier.Transient]: { retries: 5, initialMs: 100, maxMs: 5_000, multiplier: 2, jitter: 0.1 },
  [ErrorTier.ExternalRateLimit]: { retries: 10, initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.1 },
  [ErrorTier.ExternalDegrading]: { retries: 3, initialMs: 5_000, maxMs: 30_000, multiplier: 2, jitter: 0.1 },
  [ErrorTier.Permanent]: none,
  [ErrorTier.UserFixable]: none,
};

export type RetryPolicies = Partial<Record<ErrorTier, Partial<RetryPolicy>>>;

export function resolvePolicies(overrides: RetryPolicies = {}): Record<ErrorTier, RetryPolicy> {
  const out = { ...DEFAULT_RETRY_POLICIES };
  for (const tier of Object.keys(overrides) as ErrorTier[])
    out[tier] = { ...DEFAULT_RETRY_POLICIES[tier], ...overrides[tier] };
  return out;
}

/**
 * Delay before retry number `attempt` (0-based): min(initial × mult^attempt, max) ± jitter.
 * A server-provided Retry-After wins outright.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: RandomFn, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs;
  const base = Math.min(policy.initialMs * policy.multiplier ** attempt, policy.maxMs);
  return Math.max(0, Math.round(base * (1 + policy.jitter * (2 * random() - 1))));
}
