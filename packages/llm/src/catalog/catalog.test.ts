import { describe, expect, it } from 'vitest';
import { costUsd, createCatalog } from './index.js';

describe('model catalog', () => {
  it('ships the original model ids with defaults per provider', () => {
    const catalog = createCatalog();
    for (const id of [
      'claude-opus-4-5-20251101',
      'claude-sonnet-4-5-20250901',
      'claude-haiku-4-5-20251001',
      'gpt-5.2-codex',
      'gemini-3-pro-preview',
    ]) {
      expect(catalog.get(id)?.contextWindow).toBeGreaterThan(0);
    }
    // The first catalogue's Sonnet 4.5 reached end-of-life on 2026-11-30; the default is the current Sonnet.
    expect(catalog.defaultModel('anthropic')).toBe('claude-sonnet-5-5');
    expect(catalog.get('claude-sonnet-5-5')).toMatchObject({
      inputPrice: 2,
      outputPrice: 10,
      contextWindow: 1_000_000,
    });
    expect(catalog.supportsModel('openai', 'gpt-5.2-codex')).toBe(true);
    expect(catalog.supportsModel('anthropic', 'gpt-5.2-codex')).toBe(false);
  });

  it('applies config overrides field by field and adds new models', () => {
    const catalog = createCatalog({
      anthropic: {
        default_model: 'claude-haiku-4-5-20251001',
        models: { 'claude-haiku-4-5-20251001': { input_price: 0.8 } },
      },
      'openai-compatible': { models: { 'qwen2.5-coder': { context_window: 32768, max_output_tokens: 4096 } } },
    });
    expect(catalog.get('claude-haiku-4-5-20251001')).toMatchObject({
      inputPrice: 0.8,
      outputPrice: 5,
      contextWindow: 200000,
    });
    expect(catalog.defaultModel('anthropic')).toBe('claude-haiku-4-5-20251001');
    expect(catalog.info('openai-compatible', 'qwen2.5-coder')).toMatchObject({
      contextWindow: 32768,
      maxOutputTokens: 4096,
      inputPrice: 0,
    });
    expect(catalog.info('openai-compatible', 'unknown-local')).toMatchObject({ contextWindow: 128000, inputPrice: 0 });
    expect(createCatalog().get('claude-haiku-4-5-20251001')?.inputPrice).toBe(1);
  });

  it('costUsd prices input, output and cache tokens per million', () => {
    const model = {
      id: 'm',
      provider: 'anthropic' as const,
      contextWindow: 1,
      maxOutputTokens: 1,
      inputPrice: 3,
      outputPrice: 15,
      cacheReadPrice: 0.3,
      cacheWritePrice: 3.75,
    };
    const usage = {
      inputTokens: 1_000_000,
      outputTokens: 200_000,
      cacheReadTokens: 500_000,
      cacheWriteTokens: 100_000,
    };
    expect(costUsd(model, usage)).toBeCloseTo(3 + 3 + 0.15 + 0.375, 10);
    // No cache prices: cache tokens bill at the input price.
    expect(costUsd({ ...model, cacheReadPrice: undefined, cacheWritePrice: undefined }, usage)).toBeCloseTo(
      3 + 3 + 1.5 + 0.3,
      10,
    );
    expect(
      createCatalog().costUsd('openai', 'gpt-5.2-codex', {
        inputTokens: 2_000_000,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      }),
    ).toBeCloseTo(3.5, 10);
  });
});

describe('model aliases', () => {
  it('resolves an undated alias to the newest dated model, and nothing else', () => {
    const catalog = createCatalog();
    expect(catalog.get('claude-sonnet-4-5')?.id).toBe('claude-sonnet-4-5-20250901');
    expect(catalog.supportsModel('anthropic', 'claude-sonnet-4-5')).toBe(true);
    expect(catalog.get('claude-sonnet')).toBeUndefined();
    expect(catalog.get('claude-sonnet-4-5-2025')).toBeUndefined();
  });
});
