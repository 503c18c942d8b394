import type { Database } from 'better-sqlite3';
import { ErrorTier, SylkError, type Clock, type Logger } from '@sylk/core';
import type { ConfigStore, LlmConfig, LoadedConfig } from '@sylk/config';
import {
  LLMGate,
  type BudgetConfig,
  type GateRequest,
  type GateStream,
  type QuotaConfig,
  type UsageRecord,
} from '@sylk/llm/gate';
import { DEFAULT_PROFILE, type AuditSink, type CredentialStore } from '@sylk/security';
import { costUsd, createCatalog, type ModelCatalog } from '@sylk/llm/catalog';
import type { LLMRequest, ModelInfo, ProviderName, Usage } from '@sylk/llm';
import { AdapterPool, loadProviders } from './adapters.js';
import { providerInfo, providerNames, providerSettings, type KeyPresence, type ProviderInfo } from './providers.js';
import { envKeyResolver, providerKey, storeKeyResolver, type KeyResolver } from './keys.js';
import { usageReport, type UsageQuery, type UsageReport } from './report.js';
import * as settings from './settings.js';
import { AuditedUsageStore } from './audit-usage.js';
import { resolveSessionModel, type SessionModel } from './session-model.js';

export interface DaemonLlmOptions {
  config: ConfigStore;
  /** system.db: usage, circuit breakers, subscription counters. */
  db: Database;
  env: Readonly<Record<string, string | undefined>>;
  /** Keys: environment → keychain → encrypted file. Without it, keys come from `env` only. */
  credentials?: CredentialStore;
  /** The profile of requests made without one (`security.credentials.profile_name`). */
  defaultProfile?: () => string;
  clock: Clock;
  logger: Logger;
  /** One audit record per LLM call (provider, model, tokens, cost; never content). */
  audit?: AuditSink;
  /** Told of every usage record with the audit record (the daemon's metrics). */
  onUsage?: (rec: UsageRecord) => void;
}

/** What sessions call the model through: the gate, their requests sent with the session's credential profile. */
export interface ProfileGate {
  stream(req: GateRequest, signal?: AbortSignal): GateStream;
}

/** Until the tokenizers load with the first request: ~4 characters per token, plus framing. */
function roughTokens(r: LLMRequest): number {
  let chars = r.systemPrompt?.length ?? 0;
  for (const m of r.messages) chars += m.content.length + JSON.stringify(m.toolCalls ?? []).length;
  chars += JSON.stringify(r.tools ?? []).length;
  return Math.ceil(chars / 4) + 4 * r.messages.length;
}

/** Replace an object's contents in place: the gate holds references to budget and quota config. */
function replaceContents<T extends object>(target: T, next: T): void {
  for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
  Object.assign(target, next);
}

/**
 * The daemon's one LLM gate, built from the live config. The gate looks up each request's adapter
 * in the pool, built lazily per (provider, profile) with the key resolved when used (environment →
 * keychain → encrypted file). Sessions call the gate through `gateFor(profile)`, after `ready`.
 */
export class DaemonLlm {
  readonly gate: LLMGate;
  readonly workers: number;
  private llm: LlmConfig;
  private catalog: ModelCatalog;
  /** Catalogues with a session's own llm config (its project's layers), by that config. */
  private readonly projectCatalogs = new WeakMap<LlmConfig, ModelCatalog>();
  private estimate: (r: LLMRequest) => number = roughTokens;
  private readonly budgets: BudgetConfig;
  private readonly quotas: Partial<Record<ProviderName, QuotaConfig>>;
  private readonly pool: AdapterPool;
  private readonly unsubscribe: () => void;
  private readonly keys: KeyResolver;

  constructor(private readonly opts: DaemonLlmOptions) {
    const loaded = opts.config.current().config;
    this.llm = loaded.llm;
    this.catalog = createCatalog(settings.catalogOverrides(this.llm));
    this.budgets = settings.budgetConfig(loaded.budgets);
    this.quotas = settings.quotaConfig(this.llm);
    this.workers = this.llm.queue.workers;
    this.keys = opts.credentials ? storeKeyResolver(opts.credentials) : envKeyResolver(opts.env);
    this.pool = new AdapterPool({
      env: opts.env,
      keys: this.keys,
      defaultProfile: () => this.defaultProfile(),
      settings: (p) => providerSettings(this.llm, p),
      catalog: () => this.catalog,
      clock: opts.clock,
      logger: opts.logger,
    });
    this.gate = new LLMGate({
      adapters: (provider, profile) => this.knownProvider(provider).then(() => this.pool.get(provider, profile)),
      pricing: (model) => this.catalog.get(model),
      estimateTokens: (r) => this.estimate(r),
      workers: this.llm.queue.workers,
      pipelineCapacity: this.llm.queue.pipeline_capacity,
      clock: opts.clock,
      logger: opts.logger.child({ component: 'llm' }),
      db: opts.db,
      ...(opts.audit
        ? {
            usageStore: new AuditedUsageStore(
              opts.db,
              { logger: opts.logger.child({ component: 'llm' }) },
              opts.audit,
              opts.onUsage,
            ),
          }
        : {}),
      budgets: this.budgets,
      quotas: this.quotas,
      rateLimits: settings.rateLimitConfig(this.llm),
      breakers: settings.breakerConfig(this.llm),
      retryPolicies: settings.retryPolicies(this.llm),
      classifierConfig: settings.classifierConfig(this.llm),
      streamLimits: settings.streamLimits(this.llm),
    });
    this.gate.on('budget_warning', (w) => opts.logger.warn({ ...w }, 'LLM budget nearly used'));
    this.gate.on('quota_warning', (w) => opts.logger.warn({ ...w }, 'LLM soft limit reached'));
    this.unsubscribe = opts.config.onChange((next, reason) => this.applyConfig(next, reason));
  }

  defaultProfile(): string {
    return this.opts.defaultProfile?.() ?? DEFAULT_PROFILE;
  }

  /**
   * Before a turn adds to the conversation: rejects with the error its requests would fail with
   * when the provider is unknown or disabled or has no key (`llm.auth_missing`, with the command
   * that fixes it), checked at every turn since keys change without a restart. Also loads the
   * providers' tokenizers, which the turn's context and budget estimates then use.
   */
  async ready(provider: ProviderName, profile = this.defaultProfile()): Promise<void> {
    await this.knownProvider(provider);
    const [mod] = await Promise.all([loadProviders(), this.pool.check(provider, profile)]);
    this.estimate = mod.estimateTokens;
  }

  /** A session recorded with a provider sylkd has no adapter for (created before it was checked): its error. */
  private async knownProvider(provider: ProviderName): Promise<void> {
    if (!settings.isProviderName(provider)) resolveSessionModel(this.llm, this.catalog, { provider });
  }

  /** The gate for a session: its requests use `profile`'s keys. */
  gateFor(profile: string): ProfileGate {
    return { stream: (req, signal) => this.gate.stream({ ...req, profile }, signal) };
  }

  /**
   * Where the default profile's key of a provider comes from, without reading a secret: the
   * environment, else what Sylk stored (status must not load the keychain module or decrypt).
   */
  private keyPresence(p: ProviderName): KeyPresence {
    const env = providerKey(p, this.opts.env);
    const source =
      this.opts.credentials?.locate(p, this.defaultProfile()) ?? (env.apiKey !== undefined ? env.source : undefined);
    return source !== undefined
      ? { hasKey: true, source, required: env.required }
      : { hasKey: false, source: env.source, required: env.required };
  }

  providers(): ProviderInfo[] {
    const snaps = new Map(this.gate.breakers().map((b) => [b.id, b]));
    const view = {
      llm: this.llm,
      catalog: this.catalog,
      key: (p: ProviderName) => this.keyPresence(p),
      now: this.opts.clock.now(),
      breaker: (p: ProviderName) => snaps.get(`llm:${p}`),
      pausedUntil: (p: ProviderName) => this.gate.pausedUntil(p),
      streamingDegradedUntil: (p: ProviderName) => this.gate.streamingDegradedUntil(p),
      authFailure: (p: ProviderName) => this.gate.authFailure(p),
      rateLimit: (p: ProviderName) => this.gate.rateLimitState(p),
    };
    return providerNames(this.llm).map((name) => providerInfo(view, name));
  }

  /** Status lines: one per provider (`llm:anthropic`) and the gate's queues (`llm:gate`). */
  components(): Array<{ name: string; state: string; detail: string }> {
    const s = this.gate.stats();
    const gate = `${s.inFlight}/${this.workers} in flight, queued ${s.queued.user} user + ${s.queued.pipeline} pipeline, ${s.waiting} waiting`;
    return [
      ...this.providers().map((p) => ({ name: `llm:${p.name}`, state: p.state, detail: p.detail })),
      { name: 'llm:gate', state: 'ok', detail: gate },
    ];
  }

  /** The provider and model of a new session, checked (unknown provider refused; see session-model.ts). */
  sessionModel(llm: LlmConfig, input: { provider?: string | undefined; model?: string | undefined }): SessionModel {
    // The session's own config (its project's layers) may describe models the daemon's does not.
    const catalog = llm === this.llm ? this.catalog : createCatalog(settings.catalogOverrides(llm));
    return resolveSessionModel(llm, catalog, input);
  }

  /** A provider's key was stored or removed: its last rejection no longer marks it unhealthy. */
  keyChanged(provider: ProviderName): void {
    this.gate.clearAuthFailure(provider);
  }

  resetBreaker(provider: string): { previous: ProviderInfo; current: ProviderInfo } {
    if (!settings.isProviderName(provider)) {
      throw new SylkError(`unknown provider '${provider}'`, {
        tier: ErrorTier.UserFixable,
        code: 'llm.unknown_provider',
        hint: `one of: ${settings.PROVIDERS.join(', ')}`,
      });
    }
    const find = () => this.providers().find((p) => p.name === provider) as ProviderInfo;
    const previous = find();
    this.gate.resetBreaker(`llm:${provider}`);
    this.opts.logger.info({ provider, previous: previous.circuit.state }, 'circuit breaker reset by request');
    return { previous, current: find() };
  }

  /**
   * A model's context window, output limit and prices: the catalogue with the overrides of `llm`
   * (a session's effective config; default the daemon's), or its fallback limits for a model
   * neither describes (`known: false`).
   */
  modelInfo(provider: ProviderName, model: string, llm: LlmConfig = this.llm): { info: ModelInfo; known: boolean } {
    let catalog = llm === this.llm ? this.catalog : this.projectCatalogs.get(llm);
    if (catalog === undefined) {
      catalog = createCatalog(settings.catalogOverrides(llm));
      this.projectCatalogs.set(llm, catalog);
    }
    const known = catalog.get(model);
    return { info: known ?? catalog.info(provider, model), known: known !== undefined };
  }

  /** A request's input tokens as the gate estimates them (the provider's tokenizer once loaded). */
  estimateTokens(request: LLMRequest): number {
    return this.estimate(request);
  }

  /** USD of one response by the catalogue's prices (undefined for an unknown model). */
  costOf(model: string, usage: Usage): number | undefined {
    const info = this.catalog.get(model);
    return info === undefined ? undefined : costUsd(info, usage);
  }

  /** What a session has spent so far (recorded usage, all providers). */
  sessionCost(sessionId: string): number {
    return this.gate.report({ sessionId, groupBy: 'session' }).reduce((sum, row) => sum + row.costUsd, 0);
  }

  report(q: UsageQuery): UsageReport {
    return usageReport(this.gate, this.budgets, q, this.opts.clock.now());
  }

  /** Live: budgets, soft limits, rate limits, provider enabled/base_url/default_model/models. The rest needs a restart. */
  private applyConfig(next: LoadedConfig, reason: string): void {
    const restart = settings.restartOnlyChanges(this.llm, next.config.llm);
    this.llm = next.config.llm;
    this.catalog = createCatalog(settings.catalogOverrides(this.llm));
    replaceContents(this.budgets, settings.budgetConfig(next.config.budgets));
    replaceContents(this.quotas, settings.quotaConfig(this.llm));
    this.gate.setRateLimits(settings.rateLimitConfig(this.llm));
    if (restart.length > 0)
      this.opts.logger.warn({ keys: restart, reason }, 'LLM settings changed that apply after `sylk daemon restart`');
  }

  /** Rejects queued work, aborts running requests and flushes batched usage to system.db. */
  async close(): Promise<void> {
    this.unsubscribe();
    await this.gate.close();
    await this.pool.close();
  }
}
