import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type LlmConfig } from '@sylk/config';
import { createCatalog } from '@sylk/llm/catalog';
import { resolveSessionModel } from './session-model.js';

const catalog = createCatalog();
const llm = (patch: Partial<LlmConfig> = {}): LlmConfig => ({ ...structuredClone(DEFAULT_CONFIG.llm), ...patch });

describe('resolveSessionModel', () => {
  it('refuses an unknown provider, listing the known and the configured ones', () => {
    expect(() => resolveSessionModel(llm(), catalog, { provider: 'nosuch' })).toThrow(
      expect.objectContaining({
        code: 'llm.unknown_provider',
        message: "unknown provider 'nosuch'",
        hint: 'use one of: anthropic, openai, google, openai-compatible (configured: anthropic, google, openai), e.g. --provider anthropic',
      }),
    );
  });

  it("uses the provider's own default model, not the global one of another provider", () => {
    expect(resolveSessionModel(llm(), catalog, {})).toEqual({ provider: 'anthropic', model: 'claude-sonnet-5-5' });
    expect(resolveSessionModel(llm(), catalog, { provider: 'openai' })).toEqual({
      provider: 'openai',
      model: 'gpt-5.2-codex',
    });
  });

  it('refuses a model the catalogue lists for another provider', () => {
    expect(() => resolveSessionModel(llm(), catalog, { provider: 'anthropic', model: 'gpt-5.2' })).toThrow(
      expect.objectContaining({
        code: 'llm.unknown_model',
        hint: expect.stringContaining('or use --provider openai'),
      }),
    );
  });

  it('allows a model the catalogue does not know, with a warning; openai-compatible models need none', () => {
    const r = resolveSessionModel(llm(), catalog, { provider: 'anthropic', model: 'claude-sonnet-9-9' });
    expect(r).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-9-9' });
    expect(r.warning).toContain(
      "model 'claude-sonnet-9-9' is not in sylk's catalogue for anthropic (known: claude-sonnet-5-5,",
    );
    expect(resolveSessionModel(llm(), catalog, { provider: 'openai-compatible', model: 'qwen3-coder' })).toEqual({
      provider: 'openai-compatible',
      model: 'qwen3-coder',
    });
  });

  it('says what to set when a provider has no model at all, and refuses a disabled provider', () => {
    expect(() => resolveSessionModel(llm(), catalog, { provider: 'openai-compatible' })).toThrow(
      expect.objectContaining({
        code: 'llm.unknown_model',
        hint: expect.stringContaining('llm.providers.openai-compatible.default_model'),
      }),
    );
    const off = llm();
    off.providers['openai'] = { ...structuredClone(off.providers['anthropic']!), enabled: false };
    expect(() => resolveSessionModel(off, catalog, { provider: 'openai' })).toThrow(
      expect.objectContaining({ code: 'llm.provider_disabled' }),
    );
  });
});
