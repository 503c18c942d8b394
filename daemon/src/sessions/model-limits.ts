import type { CompactionSettings } from '@sylk/agents';
import type { LlmConfig, SylkConfig } from '@sylk/config';
import type { ModelInfo, ProviderName } from '@sylk/llm';

/** The catalogue's entry of a model with a config's overrides; `known: false` = fallback limits (DaemonLlm.modelInfo). */
export type ModelInfoFn = (
  provider: ProviderName,
  model: string,
  llm: LlmConfig,
) => { info: ModelInfo; known: boolean };

/** What a turn is given of its model's limits (TurnContext fields). */
export interface TurnLimits {
  maxTokens?: number;
  contextWindow?: number;
  compaction: CompactionSettings;
}

/**
 * A session's limits for its next turn, from its effective config: the model's output limit and
 * context window are the catalogue's, overridden by `llm.providers.<name>.models.<id>`;
 * `sessions.max_output_tokens` (0 = the model's) may lower the output limit, never raise it past
 * the model's. A model neither describes gets no output limit but that setting (the provider's
 * default: a small local model may refuse a fallback guess) and the fallback window.
 * `sessions.compaction.model` writes summaries with its own window.
 */
export function turnLimits(config: SylkConfig, provider: ProviderName, model: string, info: ModelInfoFn): TurnLimits {
  const { info: m, known } = info(provider, model, config.llm);
  const own = config.sessions.max_output_tokens;
  const modelLimit = known ? m.maxOutputTokens : 0;
  const limit = own > 0 && modelLimit > 0 ? Math.min(own, modelLimit) : own > 0 ? own : modelLimit;
  const c = config.sessions.compaction;
  const summarizer = c.model !== '' && c.model !== model ? info(provider, c.model, config.llm).info : undefined;
  return {
    ...(limit > 0 ? { maxTokens: limit } : {}),
    ...(m.contextWindow > 0 ? { contextWindow: m.contextWindow } : {}),
    compaction: {
      enabled: c.enabled,
      threshold: c.threshold,
      keepRecentMessages: c.keep_recent_messages,
      ...(summarizer !== undefined ? { model: c.model, modelContextWindow: summarizer.contextWindow } : {}),
    },
  };
}
