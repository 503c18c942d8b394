/** Config (`llm.*`, `budgets.*`) → the gate's options. Pure functions; no I/O. */
import { ErrorTier } from '@sylk/core';
import type {
  BudgetsConfig,
  BudgetLimit as ConfigLimit,
  LlmConfig,
  ModelOverride as ConfigModel,
  RetryPolicyConfig,
} from '@sylk/config';
import type {
  BreakerConfig,
  BudgetConfig,
  BudgetLimit,
  ClassifierConfig,
  QuotaConfig,
  RateLimitConfig,
  RetryPolicies,
  RetryPolicy,
  StreamLimits,
} from '@sylk/llm/gate';
import type { CatalogOverrides, ModelOverride, ProviderName } from '@sylk/llm';

/** Providers with an adapter; config keys outside this list are reported as unsupported. */
export const PROVIDERS: readonly ProviderName[] = ['anthropic', 'openai', 'google', 'openai-compatible'];
/** Listed even when the config does not mention them. */
export const BUILT_IN: readonly ProviderName[] = ['anthropic', 'openai', 'google'];

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDERS as readonly string[]).includes(name);
}

function limit(l: ConfigLimit): BudgetLimit {
  return { tokens: l.tokens, usd: l.usd };
}

/** Hard budget limits; -1 (unlimited) is understood by the gate as is. */
export function budgetConfig(b: BudgetsConfig): BudgetConfig {
  return {
    global: limit(b.global),
    session: limit(b.session),
    task: limit(b.task),
    provider: Object.fromEntries(Object.entries(b.providers).map(([name, l]) => [name, limit(l)])),
  };
}

/** `llm.providers.<name>.soft_limit` → subscription quotas (only where a maximum is set). */
export function quotaConfig(llm: LlmConfig): Partial<Record<ProviderName, QuotaConfig>> {
  const out: Partial<Record<ProviderName, QuotaConfig>> = {};
  for (const [name, p] of Object.entries(llm.providers)) {
    const s = p.soft_limit;
    if (!isProviderName(name) || (s.requests < 0 && s.tokens < 0)) continue;
    out[name] = {
      period: s.period,
      maxRequests: s.requests < 0 ? null : s.requests,
      maxTokens: s.tokens < 0 ? null : s.tokens,
      warnThreshold: s.warn_at,
    };
  }
  return out;
}

const perMinute = (b: { requests_per_minute: number; tokens_per_minute: number }) => ({
  ...(b.requests_per_minute > 0 ? { requestsPerMinute: b.requests_per_minute } : {}),
  ...(b.tokens_per_minute > 0 ? { tokensPerMinute: b.tokens_per_minute } : {}),
});

/** `llm.providers.<name>.rate_limits` → the gate's per-minute buckets (only providers and models with a limit). */
export function rateLimitConfig(llm: LlmConfig): Partial<Record<ProviderName, RateLimitConfig>> {
  const out: Partial<Record<ProviderName, RateLimitConfig>> = {};
  for (const [name, p] of Object.entries(llm.providers)) {
    const r = p.rate_limits;
    const models = Object.entries(r.models)
      .map(([id, m]) => [id, perMinute(m)] as const)
      .filter(([, m]) => Object.keys(m).length > 0);
    const own = { ...perMinute(r), ...(r.max_concurrent > 0 ? { maxConcurrent: r.max_concurrent } : {}) };
    if (!isProviderName(name) || (Object.keys(own).length === 0 && models.length === 0)) continue;
    out[name] = { ...own, warnAt: r.warn_at, ...(models.length > 0 ? { models: Object.fromEntries(models) } : {}) };
  }
  return out;
}

function policy(p: RetryPolicyConfig): RetryPolicy {
  return { retries: p.attempts, initialMs: p.initial_ms, maxMs: p.max_ms, multiplier: p.multiplier, jitter: p.jitter };
}

export function retryPolicies(llm: LlmConfig): RetryPolicies {
  return {
    [ErrorTier.Transient]: policy(llm.retry.transient),
    [ErrorTier.ExternalRateLimit]: policy(llm.retry.external_rate_limit),
    [ErrorTier.ExternalDegrading]: policy(llm.retry.external_degrading),
  };
}

export function breakerConfig(llm: LlmConfig): Record<string, Partial<BreakerConfig>> {
  const c = llm.circuit_breaker;
  const cfg: BreakerConfig = {
    consecutiveFailures: c.consecutive_failures,
    failureRate: c.failure_rate,
    window: c.window,
    cooldownMs: c.cooldown_seconds * 1000,
    probesToClose: c.close_after,
  };
  return Object.fromEntries(PROVIDERS.map((p) => [`llm:${p}`, cfg]));
}

export function classifierConfig(llm: LlmConfig): ClassifierConfig {
  return { ...llm.errors };
}

export function streamLimits(llm: LlmConfig): Partial<StreamLimits> {
  return {
    chunkTimeoutMs: llm.stream.chunk_timeout_seconds * 1000,
    firstOutputTimeoutMs: llm.stream.first_output_timeout_seconds * 1000,
    maxDurationMs: llm.stream.max_duration_seconds * 1000,
    maxTextBytes: llm.stream.max_text_bytes,
    maxToolArgsBytes: llm.stream.max_tool_args_bytes,
    generateTimeoutMs: llm.timeout * 1000,
  };
}

function model(m: ConfigModel): ModelOverride {
  const out: ModelOverride = {};
  // -1 keeps the catalogue value.
  for (const [k, v] of Object.entries(m) as Array<[keyof ModelOverride, number]>) if (v >= 0) out[k] = v;
  return out;
}

/** Per-provider default model and model overrides for the catalogue. */
export function catalogOverrides(llm: LlmConfig): CatalogOverrides {
  const out: CatalogOverrides = {};
  for (const [name, p] of Object.entries(llm.providers)) {
    if (!isProviderName(name)) continue;
    out[name] = {
      ...(p.default_model !== '' ? { default_model: p.default_model } : {}),
      models: Object.fromEntries(Object.entries(p.models).map(([id, m]) => [id, model(m)])),
    };
  }
  return out;
}

/** Dotted config paths whose change needs `sylk daemon restart` to take effect. */
export function restartOnlyChanges(before: LlmConfig, after: LlmConfig): string[] {
  const keys = ['queue', 'stream', 'retry', 'errors', 'circuit_breaker'] as const;
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((k) => `llm.${k}`);
}
