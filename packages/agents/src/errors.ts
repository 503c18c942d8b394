import { ErrorTier, SylkError, errorMessage, tierOf } from '@sylk/core';
import { GateErrorCode } from '@sylk/llm/gate';
import type { AgentEvent } from './types.js';

/** Stable codes of the errors a turn reports. */
export const AgentErrorCode = {
  /** The model request failed (the cause is the gate's error). */
  LlmFailed: 'agents.llm_failed',
  /** The response stream ended early (timeout, preemption, provider error after output). */
  ResponseIncomplete: 'agents.response_incomplete',
  /** A budget stopped the turn (admission or mid-stream). */
  BudgetExceeded: 'agents.budget_exceeded',
  /** A TurnContext the loop cannot run with (a daemon wiring bug). */
  InvalidContext: 'agents.invalid_context',
  /** The newest message (or a conversation that may not be compacted) does not fit the model's window. */
  ContextOverflow: 'agents.context_overflow',
  /** Summarising older messages failed. */
  CompactionFailed: 'agents.compaction_failed',
  /** Replies hit the output token limit in the middle of a tool call twice in a row. */
  OutputLimit: 'agents.output_limit',
} as const;

export function isBudgetError(err: unknown): boolean {
  return err instanceof SylkError && err.code === GateErrorCode.BudgetExceeded;
}

/** The gate's SylkError as is; anything else wrapped so the daemon always gets tier + code. */
export function asTurnError(err: unknown): SylkError {
  if (err instanceof SylkError) return err;
  return new SylkError(`model request failed: ${errorMessage(err)}`, {
    code: AgentErrorCode.LlmFailed,
    tier: tierOf(err) ?? ErrorTier.Transient,
    cause: err,
  });
}

/** The turn's `error` event: code, tier, the message once, the hint, and how many attempts the request took. */
export function errorEvent(error: SylkError): Extract<AgentEvent, { type: 'error' }> {
  const attempts = error.details['attempts'];
  return {
    type: 'error',
    code: error.code,
    message: error.message,
    tier: error.tier,
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    ...(typeof attempts === 'number' && attempts > 1 ? { attempts } : {}),
  };
}

/** Stops the user can act on: what stopped the response, its code, and what to change. */
const USER_FIXABLE_STOPS: Record<string, { what: string; code: string; hint: string }> = {
  budget_exceeded: {
    what: 'was stopped by a budget limit',
    code: AgentErrorCode.BudgetExceeded,
    hint: 'raise the budget in the configuration or start a new period',
  },
  size_limit: {
    what: 'was stopped at its size limit',
    code: AgentErrorCode.ResponseIncomplete,
    hint: 'raise llm.stream.max_text_bytes or llm.stream.max_tool_args_bytes if such long output is expected',
  },
};

export function incompleteResponse(reason: string, provider: string): SylkError {
  const stop = USER_FIXABLE_STOPS[reason];
  if (stop === undefined) {
    return new SylkError(`the ${provider} response ended early (${reason})`, {
      code: AgentErrorCode.ResponseIncomplete,
      tier: ErrorTier.Transient,
      details: { reason },
    });
  }
  return new SylkError(`the ${provider} response ${stop.what}`, {
    code: stop.code,
    tier: ErrorTier.UserFixable,
    hint: stop.hint,
    details: { reason },
  });
}
