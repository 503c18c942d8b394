import { ErrorTier, SylkError, isSylkError, type Clock, type Logger } from '@sylk/core';
import type { ModelCatalog } from '@sylk/llm/catalog';
import type * as Providers from '@sylk/llm';
import type { LLMRequest, LLMResponse, ProviderAdapter, ProviderName, StreamChunk } from '@sylk/llm';
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
  /** The profile of requests not tagged with one (`tagProfile`); default `default`. */
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
 * The stream of an adapter still being looked up, handing on the inner iterator's results as
 * they are: an `async function*` with `yield*` here added a generator step (two promises and a
 * result object) to every chunk of every stream.
 */
function deferredStream(open: () => Promise<AsyncIterable<StreamChunk>>): AsyncIterable<StreamChunk> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
      let inner: AsyncIterator<StreamChunk> | undefined;
      const ready = open().then((stream) => (inner = stream[Symbol.asyncIterator]()));
      ready.catch(() => undefined); // the first next() reports it
      return {
        next: () => (inner !== undefined ? inner.next() : ready.then((it) => it.next())),
        return: async () => {
          const it = inner ?? (await ready.catch(() => undefined));
          return (await it?.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * One adapter per (provider, credential profile), created lazily with `createAdapter` and rebuilt
 * when the provider's settings or its key change (in-flight requests keep the adapter they
 * started with). Keys are resolved on every use, so `sylk auth login`/`logout` apply at once.
 */
export class AdapterPool {
  private readonly entries = new Map<string, Entry>();
  /** Shared by every provider's adapter; created with the first one. */
  private thread: Providers.StreamThread | undefined;
  /** The profile a request was submitted under (the gate hands adapters the request, not the session). */
  private readonly profiles = new WeakMap<LLMRequest, string>();
  private readonly keys: KeyResolver;

  constructor(private readonly opts: AdapterPoolOptions) {
    this.keys = opts.keys ?? envKeyResolver(opts.env);
  }

  /** Mark a request as made under a profile; the gate's stand-in then calls with that profile's key. */
  tagProfile(request: LLMRequest, profile: string): void {
    this.profiles.set(request, profile);
  }

  /** The adapter for a provider and profile; rejects with `llm.provider_disabled`, `llm.auth_missing` or a key store error. */
  async get(provider: ProviderName, profile = this.defaultProfile()): Promise<ProviderAdapter> {
    const s = this.opts.settings(provider);
    if (!s.enabled) {
      throw new SylkError(`provider ${provider} is disabled in the configuration`, {
        tier: ErrorTier.UserFixable,
        code: 'llm.provider_disabled',
        hint: `set llm.providers.${provider}.enabled: true`,
      });
    }
    const key = await this.keys.resolve(provider, profile);
    if (key.required && key.apiKey === undefined) throw missingKey(provider, profile, key);
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
    if (cached !== undefined) void cached.adapter.then((a) => a.close(), () => {});
    return adapter;
  }

  private defaultProfile(): string {
    return this.opts.defaultProfile?.() ?? 'default';
  }

  /** A synchronous stand-in for the gate's `adapters` option: it never throws, its calls do. */
  forGate(provider: ProviderName): ProviderAdapter {
    const get = async (request?: LLMRequest): Promise<ProviderAdapter> => {
      try {
        return await this.get(provider, (request && this.profiles.get(request)) ?? this.defaultProfile());
      } catch (err) {
        // Re-thrown as a plain SylkError so the gate classifies it by its own tier (never retried).
        if (isSylkError(err)) throw new SylkError(err.message, { tier: err.tier, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
        throw err;
      }
    };
    return {
      name: provider,
      stream: (request: LLMRequest, signal?: AbortSignal) => deferredStream(async () => (await get(request)).stream(request, signal)),
      // The gate's degraded mode (a provider whose streams keep failing) sends requests whole.
      generate: async (request: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> => (await get(request)).generate(request, signal),
      countTokens: (): number => {
        throw new SylkError(`${provider}: the gate's adapter stand-in does not count tokens`, { tier: ErrorTier.Permanent, code: 'llm.unsupported' });
      },
      healthCheck: async () => (await get()).healthCheck(),
      close: async () => {},
    };
  }

  /** The stream thread's state; undefined before the first adapter exists. */
  threadStats(): Providers.StreamThreadStats | undefined {
    return this.thread?.stats();
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.adapter.then((a) => a.close(), () => {})));
    await this.thread?.close();
    this.thread = undefined;
  }

  private async create(provider: ProviderName, profile: string, s: ProviderSettings, key: ProviderKey): Promise<ProviderAdapter> {
    const { createThreadedAdapter, StreamThread } = await loadProviders();
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
    // Responses are read in the stream thread: HTTP, SSE parsing and the SDK's per-event work run
    // beside the daemon's event loop, not on it.
    const adapter = createThreadedAdapter(config, (this.thread ??= new StreamThread({ logger: this.opts.logger })));
    this.opts.logger.info({ provider, profile, baseUrl: s.baseUrl || 'standard', keySource: key.source }, 'LLM adapter created');
    return adapter;
  }
}
