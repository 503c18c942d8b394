import type { ModelInfo, ProviderName, Usage } from '../types.js';
import data from './models.json' with { type: 'json' };

/** One model's entry, shaped like config `llm.providers.<name>.models.<id>`. */
export interface ModelOverride {
  context_window?: number;
  max_output_tokens?: number;
  input_price?: number;
  output_price?: number;
  cache_read_price?: number;
  cache_write_price?: number;
}

export interface ProviderCatalogOverride {
  default_model?: string;
  models?: Record<string, ModelOverride>;
}

export type CatalogOverrides = Partial<Record<ProviderName, ProviderCatalogOverride>>;

interface ProviderData {
  defaultModel?: string;
  models: Record<string, ModelOverride>;
}

const PROVIDERS: ProviderName[] = ['anthropic', 'openai', 'google', 'openai-compatible'];

function toInfo(id: string, provider: ProviderName, entry: ModelOverride, base: ModelOverride): ModelInfo {
  const e = { ...base, ...entry };
  const info: ModelInfo = {
    id,
    provider,
    contextWindow: e.context_window ?? 0,
    maxOutputTokens: e.max_output_tokens ?? 0,
    inputPrice: e.input_price ?? 0,
    outputPrice: e.output_price ?? 0,
  };
  if (e.cache_read_price !== undefined) info.cacheReadPrice = e.cache_read_price;
  if (e.cache_write_price !== undefined) info.cacheWritePrice = e.cache_write_price;
  return info;
}

/** Models, limits and prices: `catalog/models.json` with config overrides on top. */
export class ModelCatalog {
  private readonly models = new Map<string, ModelInfo>();
  private readonly defaults = new Map<ProviderName, string>();
  private readonly fallback: ModelOverride = data.fallback;

  /** `overrides`: what the configuration changed (kept so a worker thread can build the same catalog). */
  constructor(readonly overrides: CatalogOverrides = {}) {
    const builtIn = data.providers as Record<ProviderName, ProviderData>;
    for (const provider of PROVIDERS) {
      const base = builtIn[provider];
      const over = overrides[provider];
      const defaultModel = over?.default_model ?? base.defaultModel;
      if (defaultModel !== undefined) this.defaults.set(provider, defaultModel);
      const ids = new Set([...Object.keys(base.models), ...Object.keys(over?.models ?? {})]);
      for (const id of ids) {
        // An override may change one field of a known model, or describe a new one in full.
        const entry = { ...base.models[id], ...over?.models?.[id] };
        this.models.set(id, toInfo(id, provider, entry, this.fallback));
      }
    }
  }

  /** A model by id or by its undated alias (`claude-sonnet-4-5` → the newest `claude-sonnet-4-5-YYYYMMDD`). */
  get(id: string): ModelInfo | undefined {
    const exact = this.models.get(id);
    if (exact !== undefined) return exact;
    const dated = [...this.models.keys()]
      .filter((k) => k.startsWith(`${id}-`) && /^\d{8}$/.test(k.slice(id.length + 1)))
      .sort();
    const newest = dated[dated.length - 1];
    return newest === undefined ? undefined : this.models.get(newest);
  }

  /** Known model, or conservative fallback limits with zero prices (e.g. a local model). */
  info(provider: ProviderName, id: string): ModelInfo {
    return this.get(id) ?? toInfo(id, provider, {}, this.fallback);
  }

  list(provider?: ProviderName): ModelInfo[] {
    return [...this.models.values()].filter((m) => provider === undefined || m.provider === provider);
  }

  defaultModel(provider: ProviderName): string | undefined {
    return this.defaults.get(provider);
  }

  supportsModel(provider: ProviderName, id: string): boolean {
    return this.get(id)?.provider === provider;
  }

  maxContextTokens(provider: ProviderName, id: string): number {
    return this.info(provider, id).contextWindow;
  }

  costUsd(provider: ProviderName, id: string, usage: Usage): number {
    return costUsd(this.info(provider, id), usage);
  }
}

export function createCatalog(overrides?: CatalogOverrides): ModelCatalog {
  return new ModelCatalog(overrides);
}

/**
 * USD for one call. `inputTokens` excludes cached tokens (adapters normalize OpenAI/Gemini,
 * which report them inside the input count); cache reads/writes without their own price
 * are billed at the input price.
 */
export function costUsd(model: ModelInfo, usage: Usage): number {
  const perM = (tokens: number, price: number) => (tokens * price) / 1_000_000;
  return (
    perM(usage.inputTokens, model.inputPrice) +
    perM(usage.outputTokens, model.outputPrice) +
    perM(usage.cacheReadTokens, model.cacheReadPrice ?? model.inputPrice) +
    perM(usage.cacheWriteTokens, model.cacheWritePrice ?? model.inputPrice)
  );
}
