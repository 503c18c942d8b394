import type { TurnContext } from '@sylk/agents';
import type { ProviderName } from '@sylk/llm';
import { turnLimits } from './model-limits.js';
import { turnStreamSettings } from './thinking.js';
import type { RuntimeDeps } from './runtime.js';

type SettingsDeps = Pick<
  RuntimeDeps,
  'config' | 'clock' | 'logger' | 'instructionDirs' | 'modelInfo' | 'estimateTokens' | 'costOf' | 'secrets'
>;

/**
 * What every agent of a session runs with, the session's own and its delegated tasks' alike:
 * turn and output limits, stream and thinking settings, the context estimate, cost, redaction.
 */
export function agentSettings(
  deps: SettingsDeps,
  provider: ProviderName,
  model: string,
): Pick<
  TurnContext,
  | 'clock'
  | 'logger'
  | 'maxTurns'
  | 'instructionDirs'
  | 'thinking'
  | 'streamLimits'
  | 'maxTokens'
  | 'contextWindow'
  | 'compaction'
  | 'estimateTokens'
  | 'costOf'
  | 'redact'
> {
  const config = deps.config();
  return {
    clock: deps.clock,
    logger: deps.logger,
    maxTurns: config.sessions.max_turns,
    ...(deps.instructionDirs !== undefined ? { instructionDirs: deps.instructionDirs } : {}),
    ...turnStreamSettings(config, provider, model),
    ...turnLimits(config, provider, model, deps.modelInfo),
    estimateTokens: deps.estimateTokens,
    costOf: deps.costOf,
    ...(deps.secrets !== undefined ? { redact: deps.secrets } : {}),
  };
}
