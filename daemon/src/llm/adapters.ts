import { ErrorTier, SylkError, isSylkError, type Clock, type Logger } from '@sylk/core';
import type { ModelCatalog } from '@sylk/llm/catalog';
import type * as Providers from '@sylk/llm';
import type { LLMRequest, LLMResponse, ProviderAdapter, ProviderName, StreamChunk } from '@sylk/llm';
import { providerKey } from './keys.js';

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
  env: Readonly<Record<string, string | undefined>>;
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
 * One adapter per provider, created lazily with `createAdapter` and rebuilt when the provider's
 * settings change (in-flight requests keep the adapter they started with).
 */
export class AdapterPool {
  private readonly entries = new Map<ProviderName, Entry>();
  /** Shared by every provider's adapter; created with the first one. */
  private thread: Providers.StreamThread | undefined;

  constructor(private readonly opts: AdapterPoolOptions) {}

  /** The provider's adapter; rejects with `llm.provider_disabled` or the adapter's `llm.auth_missing`. */
  get(provider: ProviderName): Promise<ProviderAdapter> {
    const s = this.opts.settings(provider);
    if (!s.enabled) {
      return Promise.reject(new SylkError(`provider ${provider} is disabled in the configuration`, {
        tier: ErrorTier.UserFixable,
        code: 'llm.provider_disabled',
        hint: `set llm.providers.${provider}.enabled: true`,
      }));
    }
    const fingerprint = JSON.stringify(s);
    const cached = this.entries.get(provider);
    if (cached?.fingerprint === fingerprint) return cached.adapter;
    const adapter = this.create(provider, s);
    // A failed creation (no key) is not cached: setting the key needs a restart anyway, but a config change may enable another path.
    adapter.catch(() => {
      if (this.entries.get(provider)?.adapter === adapter) this.entries.delete(provider);
    });
    this.entries.set(provider, { fingerprint, adapter });
    if (cached !== undefined) void cached.adapter.then((a) => a.close(), () => {});
    return adapter;
  }

  /** A synchronous stand-in for the gate's `adapters` option: it never throws, its calls do. */
  forGate(provider: ProviderName): ProviderAdapter {
    const get = async (): Promise<ProviderAdapter> => {
      try {
        return await this.get(provider);
      } catch (err) {
        // Re-thrown as a plain SylkError so the gate classifies it by its own tier (never retried).
        if (isSylkError(err)) throw new SylkError(err.message, { tier: err.tier, code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
        throw err;
      }
    };
    return {
      name: provider,
      stream: (request: LLMRequest, signal?: AbortSignal) => deferredStream(async () => (await get()).stream(request, signal)),
      // The gate's degraded mode (a provider whose streams keep failing) sends requests whole.
      generate: async (request: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> => (await get()).generate(request, signal),
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

  private async create(provider: ProviderName, s: ProviderSettings): Promise<ProviderAdapter> {
    const { createThreadedAdapter, StreamThread } = await loadProviders();
    const key = providerKey(provider, this.opts.env);
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
    this.opts.logger.info({ provider, baseUrl: s.baseUrl || 'standard', keySource: key.source }, 'LLM adapter created');
    return adapter;
  }
}
