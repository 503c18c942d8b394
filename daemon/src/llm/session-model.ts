/**
 * The provider and model a new session runs with, checked when it is created: an unknown
 * provider is refused with the list of known ones; a model the catalogue does not list is
 * allowed with a warning (providers ship new model ids before sylk's catalogue knows them), but a
 * model the catalogue lists for another provider is refused.
 */
import { ErrorTier, SylkError } from '@sylk/core';
import type { LlmConfig } from '@sylk/config';
import type { ModelCatalog } from '@sylk/llm/catalog';
import { PROVIDERS, isProviderName } from './settings.js';
import { providerNames, providerSettings } from './providers.js';

export interface SessionModel {
  provider: string;
  model: string;
  /** Shown to the user as a notice when set (a model the catalogue does not know). */
  warning?: string;
}

const list = (names: readonly string[]): string => names.join(', ');

/** The model used when a session names none: the provider's own default, else the global one if it fits. */
function defaultModel(llm: LlmConfig, catalog: ModelCatalog, provider: string): string {
  const own = llm.providers[provider]?.default_model;
  if (own) return own;
  const global = llm.default_model;
  const globalFits =
    provider === llm.default_provider || (isProviderName(provider) && catalog.get(global)?.provider === provider);
  if (globalFits) return global;
  return (isProviderName(provider) ? catalog.defaultModel(provider) : undefined) ?? '';
}

export function resolveSessionModel(
  llm: LlmConfig,
  catalog: ModelCatalog,
  input: { provider?: string | undefined; model?: string | undefined },
): SessionModel {
  const provider = input.provider || llm.default_provider;
  if (!isProviderName(provider)) {
    const configured = providerNames(llm).filter(isProviderName);
    throw new SylkError(`unknown provider '${provider.slice(0, 80)}'`, {
      tier: ErrorTier.UserFixable,
      code: 'llm.unknown_provider',
      hint: `use one of: ${list(PROVIDERS)} (configured: ${list(configured)}), e.g. --provider ${configured[0] ?? 'anthropic'}`,
      details: { provider, known: [...PROVIDERS] },
    });
  }
  if (!providerSettings(llm, provider).enabled) {
    throw new SylkError(`provider ${provider} is disabled in the configuration`, {
      tier: ErrorTier.UserFixable,
      code: 'llm.provider_disabled',
      hint: `set llm.providers.${provider}.enabled: true, or choose another provider`,
    });
  }
  const model = input.model || defaultModel(llm, catalog, provider);
  const known = catalog.list(provider).map((m) => m.id);
  if (model === '') {
    throw new SylkError(`no model given for ${provider} and none configured`, {
      tier: ErrorTier.UserFixable,
      code: 'llm.unknown_model',
      hint: `pass --model <id> or set llm.providers.${provider}.default_model`,
    });
  }
  const info = catalog.get(model);
  if (info !== undefined && info.provider !== provider) {
    throw new SylkError(`model '${model}' belongs to provider ${info.provider}, not ${provider}`, {
      tier: ErrorTier.UserFixable,
      code: 'llm.unknown_model',
      hint:
        known.length > 0
          ? `${provider} models: ${list(known)}; or use --provider ${info.provider}`
          : `use --provider ${info.provider}`,
      details: { provider, model, known },
    });
  }
  // openai-compatible servers run whatever model they were given: the catalogue cannot know them.
  if (info === undefined && provider !== 'openai-compatible') {
    return {
      provider,
      model,
      warning:
        `model '${model}' is not in sylk's catalogue for ${provider} (known: ${list(known)}); ` +
        `using it as given, with default limits (` +
        `${catalog.info(provider, model).contextWindow.toLocaleString('en-US')}-token context) ` +
        `and its cost counted as $0. ` +
        `Describe it under llm.providers.${provider}.models.${model} if it is right.`,
    };
  }
  return { provider, model };
}
