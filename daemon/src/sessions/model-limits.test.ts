import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type LlmConfig, type SylkConfig } from '@sylk/config';
import { createCatalog } from '@sylk/llm/catalog';
import { catalogOverrides } from '../llm/settings.js';
import { turnLimits, type ModelInfoFn } from './model-limits.js';

/** What DaemonLlm.modelInfo does with a session's config: the catalogue with its overrides. */
const modelInfo: ModelInfoFn = (provider, model, llm: LlmConfig) => {
  const catalog = createCatalog(catalogOverrides(llm));
  return { info: catalog.info(provider, model), known: catalog.get(model) !== undefined };
};

function config(edit: (c: SylkConfig) => void): SylkConfig {
  const c = structuredClone(DEFAULT_CONFIG) as SylkConfig;
  edit(c);
  return c;
}

const override = (c: SylkConfig, model: string, fields: Record<string, number>) => {
  // As a config.yaml naming only this provider's model gets it (the schema's defaults filled in).
  const anthropic = (c.llm.providers['anthropic'] ??= {
    enabled: true,
    base_url: '',
    default_model: '',
    models: {},
    soft_limit: { requests: -1, tokens: -1, period: 'day', warn_at: 0.8 },
    rate_limits: { requests_per_minute: 0, tokens_per_minute: 0, warn_at: 0.8, max_concurrent: 0, models: {} },
  });
  anthropic.models[model] = {
    context_window: -1,
    max_output_tokens: -1,
    input_price: -1,
    output_price: -1,
    cache_read_price: -1,
    cache_write_price: -1,
    thinking_budget_tokens: 0,
    ...fields,
  };
};

describe('turnLimits', () => {
  it("uses the catalogue's output limit and window, not the adapter's default", () => {
    const limits = turnLimits(DEFAULT_CONFIG, 'anthropic', 'claude-opus-4-5-20251101', modelInfo);
    expect(limits).toMatchObject({
      maxTokens: 64_000,
      contextWindow: 200_000,
      compaction: { enabled: true, threshold: 0.85, keepRecentMessages: 8 },
    });
    expect(limits.compaction.model).toBeUndefined();
  });

  it('applies per-model overrides, then sessions.max_output_tokens (never above the model limit)', () => {
    const c = config((c) => {
      override(c, 'claude-opus-4-5-20251101', { context_window: 50_000, max_output_tokens: 10_000 });
      c.sessions.max_output_tokens = 4_000;
    });
    expect(turnLimits(c, 'anthropic', 'claude-opus-4-5-20251101', modelInfo)).toMatchObject({
      maxTokens: 4_000,
      contextWindow: 50_000,
    });
    c.sessions.max_output_tokens = 20_000;
    expect(turnLimits(c, 'anthropic', 'claude-opus-4-5-20251101', modelInfo).maxTokens).toBe(10_000);
  });

  it("sends no output limit for a model nobody described (the provider's default), but sessions.max_output_tokens", () => {
    const limits = turnLimits(DEFAULT_CONFIG, 'openai-compatible', 'qwen-local', modelInfo);
    expect(limits.maxTokens).toBeUndefined();
    expect(limits.contextWindow).toBe(128_000);
    const c = config((c) => (c.sessions.max_output_tokens = 2_000));
    expect(turnLimits(c, 'openai-compatible', 'qwen-local', modelInfo).maxTokens).toBe(2_000);
  });

  it('gives a model described only in config the fallback for what it leaves out, and a summary model its own window', () => {
    const c = config((c) => {
      override(c, 'local-model', { context_window: 8_000 });
      c.sessions.compaction.model = 'claude-haiku-4-5-20251001';
      c.sessions.compaction.keep_recent_messages = 4;
    });
    expect(turnLimits(c, 'anthropic', 'local-model', modelInfo)).toMatchObject({
      maxTokens: 8_192,
      contextWindow: 8_000,
      compaction: { model: 'claude-haiku-4-5-20251001', modelContextWindow: 200_000, keepRecentMessages: 4 },
    });
  });
});
