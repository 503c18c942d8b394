import { errorMessage, systemClock, type Clock } from '@sylk/core';
import {
  ProviderError,
  type HealthResult,
  type LLMRequest,
  type LLMResponse,
  type ModelInfo,
  type ProviderAdapter,
  type ProviderName,
  type StreamChunk,
} from '../types.js';
import { createCatalog, type ModelCatalog } from '../catalog/index.js';
import type { AdapterConfig } from './config.js';
import { abortedError, missingKeyError, type ErrorContext } from './errors.js';
import { estimateTokens, type TokenRequest } from './tokens.js';
import { eachChunk } from './stream.js';

/**
 * The provider SDK client, built on first use. The SDKs are imported dynamically so a daemon
 * that talks to one provider never loads (and keeps resident) the other two.
 */
export function lazyClient<C>(build: () => Promise<C>): () => Promise<C> {
  let client: Promise<C> | undefined;
  return () => (client ??= build());
}

/** What every adapter shares: config, catalog lookups, token estimates, generate/health error handling. */
export abstract class BaseAdapter implements ProviderAdapter {
  abstract readonly name: ProviderName;
  protected readonly catalog: ModelCatalog;
  protected readonly clock: Clock;
  protected readonly credentialSource: string | undefined;
  private readonly configuredDefault: string | undefined;
  private readonly providerName: ProviderName;

  protected constructor(config: AdapterConfig, keyRequired: boolean) {
    if (keyRequired && !config.apiKey) throw missingKeyError(config.provider, config.credentialSource);
    this.providerName = config.provider;
    this.catalog = config.catalog ?? createCatalog();
    this.clock = config.clock ?? systemClock;
    this.credentialSource = config.credentialSource;
    this.configuredDefault = config.defaultModel;
  }

  /** The stream's chunks in the groups they were parsed in (a network read, at most 16 events). */
  abstract streamBatches(request: LLMRequest, signal?: AbortSignal): AsyncIterable<readonly StreamChunk[]>;

  stream(request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk> {
    return eachChunk(this.streamBatches(request, signal));
  }
  protected abstract generateOnce(request: LLMRequest, signal: AbortSignal): Promise<LLMResponse>;
  protected abstract toError(err: unknown, inStream: boolean): ProviderError;
  /** The cheapest authenticated call (a model list). */
  protected abstract ping(signal: AbortSignal): Promise<void>;

  /** Non-streaming call; failures are ProviderErrors like stream()'s. */
  async generate(request: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.generateOnce(request, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) throw abortedError(this.errorCtx(false), controller.signal.reason);
      throw err instanceof ProviderError ? err : this.toError(err, false);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  countTokens(request: TokenRequest): number {
    return estimateTokens(request, this.providerName);
  }

  async healthCheck(signal?: AbortSignal): Promise<HealthResult> {
    const started = this.clock.monotonic();
    try {
      await this.ping(signal ?? new AbortController().signal);
      return { ok: true, latencyMs: Math.round(this.clock.monotonic() - started) };
    } catch (err) {
      const error = err instanceof ProviderError ? err : this.toError(err, false);
      return { ok: false, latencyMs: Math.round(this.clock.monotonic() - started), error: errorMessage(error) };
    }
  }

  async close(): Promise<void> {
    // SDK clients hold no sockets of their own beyond fetch's shared pool.
  }

  defaultModel(): string | undefined {
    return this.configuredDefault ?? this.catalog.defaultModel(this.providerName);
  }

  supportedModels(): ModelInfo[] {
    return this.catalog.list(this.providerName);
  }

  supportsModel(id: string): boolean {
    return this.catalog.supportsModel(this.providerName, id);
  }

  maxContextTokens(model: string): number {
    return this.catalog.maxContextTokens(this.providerName, model);
  }

  protected model(request: LLMRequest): string {
    return request.model || this.defaultModel() || '';
  }

  protected ctx(): Omit<ErrorContext, 'inStream'> {
    return { provider: this.providerName, credentialSource: this.credentialSource, nowMs: this.clock.now() };
  }

  protected errorCtx(inStream: boolean): ErrorContext {
    return { ...this.ctx(), inStream };
  }
}
