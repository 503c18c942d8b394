import { ErrorTier, abortReason } from '@sylk/core';
import type { RandomFn, SleepFn } from './types.js';

/** SPEC 1.4.3. `retries` counts attempts after the first one (Permanent: 0 = never retried). */
export interface RetryPolicy {
  retries: number;
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** Fraction of the delay, e.g. 0.1 = ±10%. */
  jitter: number;
}

const none: RetryPolicy = { retries: 0, initialMs: 0, maxMs: 0, multiplier: 1, jitter: 0 };

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
  for (const tier of Object.keys(overrides) as ErrorTier[]) out[tier] = { ...DEFAULT_RETRY_POLICIES[tier], ...overrides[tier] };
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

export interface RetryOptions {
  classify: (err: unknown) => ErrorTier;
  policies?: Record<ErrorTier, RetryPolicy>;
  sleep: SleepFn;
  random: RandomFn;
  signal?: AbortSignal;
  retryAfterMs?: (err: unknown) => number | undefined;
  onRetry?: (info: { tier: ErrorTier; attempt: number; delayMs: number; error: unknown }) => void;
}

/** Runs `fn`, retrying per tier; stops on abort and rethrows the last error when out of attempts. */
export async function retryWithPolicy<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const policies = opts.policies ?? DEFAULT_RETRY_POLICIES;
  const used: Partial<Record<ErrorTier, number>> = {};
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const tier = opts.classify(err);
      const n = used[tier] ?? 0;
      const policy = policies[tier];
      if (n >= policy.retries) throw err;
      used[tier] = n + 1;
      const delayMs = retryDelay(policy, n, opts.random, opts.retryAfterMs?.(err));
      opts.onRetry?.({ tier, attempt: n + 1, delayMs, error: err });
      await opts.sleep(delayMs, opts.signal);
    }
  }
}
