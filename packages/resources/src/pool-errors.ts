import { ErrorTier, SylkError, abortReason } from '@sylk/core';

/** A wait for a pool, bundle or slot ended by the caller's signal. */
export function cancelledWait(what: string, signal: AbortSignal): SylkError {
  return new SylkError(`cancelled while waiting for ${what}`, {
    tier: ErrorTier.Permanent,
    code: 'resources.cancelled',
    cause: abortReason(signal),
  });
}

/** A pipeline waited its whole timeout for units of a pool. */
export function poolTimeout(pool: string, units: number, waitedMs: number, inUse: number, capacity: number): SylkError {
  return new SylkError(
    `waited ${waitedMs} ms for ${units} ${pool} unit${units === 1 ? '' : 's'} (${inUse} of ${capacity} in use)`,
    {
      tier: ErrorTier.Transient,
      code: 'resources.pool_timeout',
      details: { pool, units, waitedMs, inUse, capacity },
      hint: `Other pipelines hold the ${pool} pool: wait for them or cancel some (\`sylk top\` shows the holders), then retry.`,
    },
  );
}

/** A request no amount of waiting can satisfy. */
export function tooLarge(pool: string, units: number, limit: number, user: boolean): SylkError {
  return new SylkError(
    `${units} ${pool} units requested but ${user ? 'the pool has' : 'pipelines may hold at most'} ${limit}`,
    {
      tier: ErrorTier.Permanent,
      code: 'resources.request_too_large',
      details: { pool, units, limit },
      hint: `Ask for at most ${limit} ${pool} unit${limit === 1 ? '' : 's'}.`,
    },
  );
}
