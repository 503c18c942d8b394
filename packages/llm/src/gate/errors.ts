import { ErrorTier, SylkError, errorMessage, isSylkError } from '@sylk/core';
import type { CircuitBreaker } from './breaker.js';

/** Stable codes of the errors the gate raises itself. */
export const GateErrorCode = {
  QueueFull: 'llm.queue_full',
  GateClosed: 'llm.gate_closed',
  BudgetExceeded: 'llm.budget_exceeded',
  QuotaExhausted: 'llm.quota_exhausted',
  CircuitOpen: 'llm.circuit_open',
  ContextOverflow: 'llm.context_overflow',
  Cancelled: 'llm.cancelled',
  StreamTimeout: 'llm.stream_timeout',
  FirstOutputTimeout: 'llm.first_output_timeout',
  /** A failure that is not a SylkError (which keep their own code). */
  RequestFailed: 'llm.request_failed',
} as const;

/** The provider rejected the key (the adapters' code); the gate marks the provider until a success. */
export const AUTH_FAILED = 'llm.auth_failed';

export function errorCode(err: unknown): string {
  return isSylkError(err) ? err.code : GateErrorCode.RequestFailed;
}

/**
 * A request's final failure: what happened, once, with its own code and hint (`llm.auth_failed`,
 * `llm.bad_request`, …); the number of attempts and the request are details, not more message.
 */
export function requestFailedError(error: unknown, tier: ErrorTier, details: Record<string, unknown>): SylkError {
  const own = isSylkError(error) ? error : undefined;
  return new SylkError(errorMessage(error), {
    tier,
    code: own?.code ?? GateErrorCode.RequestFailed,
    cause: error,
    ...(own?.hint !== undefined ? { hint: own.hint } : {}),
    details: { ...own?.details, ...details },
  });
}

/** Keep-alives only (or nothing) from a provider for `ms` since the request: no text, thinking or tool call. */
export function firstOutputTimeoutError(provider: string, ms: number): SylkError {
  return new SylkError(`${provider} sent no output within ${ms / 1000} s of the request (only keep-alives)`, {
    tier: ErrorTier.Transient,
    code: GateErrorCode.FirstOutputTimeout,
    hint: 'the provider may be overloaded; raise llm.stream.first_output_timeout_seconds if slow first replies are expected',
    details: { provider, timeoutMs: ms },
  });
}

export function gateClosedError(): SylkError {
  return new SylkError('the LLM gate is closed', { tier: ErrorTier.Permanent, code: GateErrorCode.GateClosed });
}

export function cancelledError(requestId: string): SylkError {
  return new SylkError(`LLM request ${requestId} was cancelled`, {
    tier: ErrorTier.Permanent,
    code: GateErrorCode.Cancelled,
  });
}

/** `$2.00`, or four decimals for sub-cent amounts so tiny requests don't read as free. */
export function formatUsd(usd: number): string {
  return Math.abs(usd) >= 0.01 || usd === 0 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

export function formatTokens(tokens: number): string {
  return `${Math.round(tokens).toLocaleString('en-US')} tokens`;
}

export function circuitOpenError(breaker: Pick<CircuitBreaker, 'id' | 'retryAt'>, id: string): SylkError {
  const until = new Date(breaker.retryAt()).toISOString();
  return new SylkError(`circuit breaker ${breaker.id} is open until ${until}; pipeline request ${id} not sent`, {
    tier: ErrorTier.ExternalDegrading,
    code: GateErrorCode.CircuitOpen,
    details: { breaker: breaker.id, retryAt: breaker.retryAt() },
  });
}

export function queueFullError(capacity: number): SylkError {
  return new SylkError(`pipeline queue is full (${capacity} requests waiting); retry later`, {
    tier: ErrorTier.ExternalRateLimit,
    code: GateErrorCode.QueueFull,
    details: { capacity },
  });
}
