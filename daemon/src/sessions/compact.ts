import { ErrorTier, SylkError, type Logger, type Redactor } from '@sylk/core';
import {
  compactHistory,
  type AgentEvent,
  type AgentGate,
  type CompactionStats,
  type EstimateTokens,
} from '@sylk/agents';
import type { SylkConfig } from '@sylk/config';
import type { Message, ProviderName, Usage } from '@sylk/llm';
import { turnLimits, type ModelInfoFn } from './model-limits.js';

export interface ManualCompaction {
  sessionId: string;
  provider: ProviderName;
  model: string;
  /** The session's conversation, replaced in place. */
  history: Message[];
  gate: AgentGate;
  emit: (event: AgentEvent) => void;
  signal: AbortSignal;
  config: SylkConfig;
  ready: (provider: ProviderName) => Promise<void>;
  modelInfo: ModelInfoFn;
  estimateTokens: EstimateTokens;
  costOf: (model: string, usage: Usage) => number | undefined;
  logger: Logger;
  redact?: Redactor;
}

/**
 * `/compact`, `sylk compact`: the older conversation summarised now, by the same rules as before a
 * request (the latest `keep_recent_messages` kept), whatever its size. Undefined when there is
 * nothing older than the messages kept.
 */
export async function compactConversation(c: ManualCompaction): Promise<CompactionStats | undefined> {
  await c.ready(c.provider);
  return compactHistory(
    {
      sessionId: c.sessionId,
      agentId: 'engineer',
      agentType: 'engineer',
      provider: c.provider,
      model: c.model,
      history: c.history,
      gate: c.gate,
      emit: c.emit,
      logger: c.logger,
      ...turnLimits(c.config, c.provider, c.model, c.modelInfo),
      estimateTokens: c.estimateTokens,
      costOf: c.costOf,
      ...(c.redact !== undefined ? { redact: c.redact } : {}),
    },
    { signal: c.signal, manual: true },
  );
}

/** Compaction changes the conversation a turn works on: it waits for no turn, it is refused. */
export function busyError(name: string): SylkError {
  return new SylkError(`session ${name} is running a turn`, {
    code: 'failed_precondition',
    tier: ErrorTier.UserFixable,
    hint: `wait for the turn to end, or cancel it (sylk cancel ${name}), then compact`,
  });
}
