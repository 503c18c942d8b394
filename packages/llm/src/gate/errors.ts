import { ErrorTier, SylkError } from '@sylk/core';
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
  RequestFailed: 'llm.request_failed',
} as const;

export function gateClosedError(): SylkError {
  return new SylkError('the LLM gate is closed', { tier: ErrorTier.Permanent, code: GateErrorCode.GateClosed });
}

export function cancelledError(requestId: string): SylkError {
  return new SylkError(`LLM request ${requestId} was cancelled`, { tier: ErrorTier.Permanent, code: GateErrorCode.Cancelled });
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
