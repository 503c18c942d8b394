import type { SylkConfig } from '@sylk/config';

/** What a turn takes from the session's config for thinking and for marking cut replies. */
export interface TurnStreamSettings {
  /** Extended thinking: `llm.providers.<provider>.models.<model>.thinking_budget_tokens` when above 0. */
  thinking?: { budgetTokens: number };
  streamLimits: { chunkTimeout: number; maxDuration: number; firstOutput: number };
}

/** Read at each turn, so a config change applies from the next turn on. */
export function turnStreamSettings(config: SylkConfig, provider: string, model: string): TurnStreamSettings {
  const budget = config.llm.providers[provider]?.models[model]?.thinking_budget_tokens ?? 0;
  return {
    ...(budget > 0 ? { thinking: { budgetTokens: budget } } : {}),
    streamLimits: {
      chunkTimeout: config.llm.stream.chunk_timeout_seconds,
      maxDuration: config.llm.stream.max_duration_seconds,
      firstOutput: config.llm.stream.first_output_timeout_seconds,
    },
  };
}
