import { ErrorTier, SylkError, errorMessage, tierOf } from '@sylk/core';
import { GateErrorCode } from '@sylk/llm/gate';

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

export function incompleteResponse(reason: string, provider: string): SylkError {
  const budget = reason === 'budget_exceeded';
  const oversize = reason === 'size_limit';
  const hint = budget
    ? 'raise the budget in the configuration or start a new period'
    : oversize
      ? 'raise llm.stream.max_text_bytes or llm.stream.max_tool_args_bytes if such long output is expected'
      : undefined;
  return new SylkError(
    budget ? `the ${provider} response was stopped by a budget limit` : oversize ? `the ${provider} response was stopped at its size limit` : `the ${provider} response ended early (${reason})`,
    {
      code: budget ? AgentErrorCode.BudgetExceeded : AgentErrorCode.ResponseIncomplete,
      tier: budget || oversize ? ErrorTier.UserFixable : ErrorTier.Transient,
      ...(hint ? { hint } : {}),
      details: { reason },
    },
  );
}
