import { ErrorTier, SylkError, type Clock, type Logger } from '@sylk/core';
import type { ModelCatalog } from '@sylk/llm/catalog';
import type * as Providers from '@sylk/llm';
import type { ProviderAdapter, ProviderName } from '@sylk/llm';
import { envKeyResolver, missingKey, type KeyResolver, type ProviderKey } from './keys.js';

/** The adapters load on the first request, not at start; each provider's SDK loads on that provider's first call. */
type ProvidersModule = typeof Providers;
let providersModule: Promise<ProvidersModule> | undefined;
export function loadProviders(): Promise<ProvidersModule> {
  providersModule ??= import('@sylk/llm');
  return providersModule;
}

/** What an adapter is built from; a change makes the next request build a new one. */
export interface ProviderSettings {
  enabled: boolean;
  /** Empty = the provider's standard endpoint. */
  baseUrl: string;
  /** Empty = the catalogue's default. */
  defaultModel: string;
}

export interface AdapterPoolOptions {
  /** Where keys come from when `keys` is not given (environment only). */
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves a provider's key for a profile on every use, so a changed key builds a new adapter. */
  keys?: KeyResolver;
  /** The profile of requests made without one (`GateRequest.profile`); default `default`. */
  defaultProfile?: () => string;
  settings: (provider: ProviderName) => ProviderSettings;
  catalog: () => ModelCatalog;
  clock: Clock;
  logger: Logger;
}

interface Entry {
  fingerprint: string;
  adapter: Promise<ProviderAdapter>;
}

/**
 * One adapter per (provider, credential profile), created lazily with `createAdapter` and rebuilt
 * when the provider's settings or its key change (in-flight requests keep the adapter they
 * started with). Keys are resolved on every use, so `sylk auth login`/`logout` apply at once.
 */
export class AdapterPool {
  private readonly entries = new Map<string, Entry>();
  private readonly keys: KeyResolver;

  constructor(private readonly opts: AdapterPoolOptions) {
    this.keys = opts.keys ?? envKeyResolver(opts.env);
  }

  /**
   * The settings and key a provider's requests would use, without building an adapter; rejects
   * with `llm.provider_disabled`, `llm.auth_missing` or a key store error.
   */
  async check(
    provider: ProviderName,
    profile = this.defaultProfile(),
  ): Promise<{ settings: ProviderSettings; key: ProviderKey }> {
    const settings = this.opts.settings(provider);
    if (!settings.enabled) {
      throw new SylkError(`provider ${provider} is disabled in the configuration`, {
        tier: ErrorTier.UserFixable,
        code: 'llm.provider_disabled',
        hint: `set llm.providers.${provider}.enabled: true`,
      });
    }
    const key = await this.keys.resolve(provider, profile);
    if (key.required && key.apiKey === undefined) throw missingKey(provider, profile, key);
    return { settings, key };
  }

  /** The adapter for a provider and profile (the gate's lookup); rejects as `check` does, or when the providers cannot load. */
  async get(provider: ProviderName, profile = this.defaultProfile()): Promise<ProviderAdapter> {
    const { settings: s, key } = await this.check(provider, profile);
    const name = `${provider}\u0000${profile}`;
    const fingerprint = JSON.stringify([s, key.fingerprint]);
    const cached = this.entries.get(name);
    if (cached?.fingerprint === fingerprint) return cached.adapter;
    const adapter = this.create(provider, profile, s, key);
    // A failed creation is not cached: the next use tries again.
    adapter.catch(() => {
      if (this.entries.get(name)?.adapter === adapter) this.entries.delete(name);
    });
    this.entries.set(name, { fingerprint, adapter });
    if (cached !== undefined)
      void cached.adapter.then(
        (a) => a.close(),
        () => {},
      );
    return adapter;
  }

  private defaultProfile(): string {
    return this.opts.defaultProfile?.() ?? 'default';
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      all.map((e) =>
        e.adapter.then(
          (a) => a.close(),
          () => {},
        ),
      ),
    );
  }

  private async create(
    provider: ProviderName,
    profile: string,
    s: ProviderSettings,
    key: ProviderKey,
  ): Promise<ProviderAdapter> {
    const { createAdapter } = await loadProviders();
    const config = {
      provider,
      ...(key.apiKey !== undefined ? { apiKey: key.apiKey } : {}),
      credentialSource: key.source,
      ...(s.baseUrl !== '' ? { baseUrl: s.baseUrl } : {}),
      ...(s.defaultModel !== '' ? { defaultModel: s.defaultModel } : {}),
      catalog: this.opts.catalog(),
      clock: this.opts.clock,
      logger: this.opts.logger,
    };
    const adapter = createAdapter(config);
    this.opts.logger.info(
      { provider, profile, baseUrl: s.baseUrl || 'standard', keySource: key.source },
      'LLM adapter created',
    );
    return adapter;
  }
}
