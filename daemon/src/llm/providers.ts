/** Provider health as the daemon reports it: key, enabled, breaker, 429 pause, configured rate limits. */
import type { LlmConfig } from '@sylk/config';
import type { ProviderName } from '@sylk/llm';
import type { BreakerSnapshot, BreakerState, RateLimitState } from '@sylk/llm/gate';
import { rateLimitInfo, rateLimitText, type ProviderRateLimit } from './rate-limit-text.js';
import type { ModelCatalog } from '@sylk/llm/catalog';
import { KEY_VARS } from './keys.js';
import { BUILT_IN, isProviderName } from './settings.js';
import type { ProviderSettings } from './adapters.js';

type ProviderState =
  | 'ok'
  | 'no key'
  | 'auth failed'
  | 'disabled'
  | 'open circuit'
  | 'half-open'
  | 'paused'
  | 'throttled'
  | 'degraded'
  | 'unsupported';

export interface ProviderInfo {
  name: string;
  enabled: boolean;
  hasKey: boolean;
  /** `env NAME`, `keychain`, `file`; never the key itself. */
  keySource: string;
  baseUrl: string;
  defaultModel: string;
  circuit: { state: BreakerState; failures: number; cooldownEnds: number; lastFailure: number };
  /** Unix ms; 0 = not paused. */
  pausedUntil: number;
  state: ProviderState;
  detail: string;
  rateLimit: ProviderRateLimit;
  /** The catalogue's model ids for this provider (shell completion of `--model`). */
  models: string[];
}

/** What `sylk providers` shows of a key: whether there is one and where from, never the value. */
export interface KeyPresence {
  hasKey: boolean;
  source: string;
  required: boolean;
}

export interface ProviderView {
  llm: LlmConfig;
  catalog: ModelCatalog;
  /** The key of the daemon's default profile, as last resolved. */
  key(provider: ProviderName): KeyPresence;
  now: number;
  breaker(provider: ProviderName): BreakerSnapshot | undefined;
  pausedUntil(provider: ProviderName): number;
  /** Until when the provider's requests go non-streaming; undefined while streaming works. */
  streamingDegradedUntil(provider: ProviderName): number | undefined;
  /** The provider's last rejection of its key, until a request succeeds or the key changes. */
  authFailure(provider: ProviderName): { message: string } | undefined;
  /** Configured per-minute limits and the requests waiting for them. */
  rateLimit(provider: ProviderName): RateLimitState;
}

/** Built-in providers plus every provider named in `llm.providers`, sorted. */
export function providerNames(llm: LlmConfig): string[] {
  return [...new Set([...BUILT_IN, ...Object.keys(llm.providers)])].sort();
}

export function providerSettings(llm: LlmConfig, provider: ProviderName): ProviderSettings {
  const p = llm.providers[provider];
  return { enabled: p?.enabled ?? true, baseUrl: p?.base_url ?? '', defaultModel: p?.default_model ?? '' };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function providerInfo(view: ProviderView, name: string): ProviderInfo {
  const closed = { state: 'closed' as const, failures: 0, cooldownEnds: 0, lastFailure: 0 };
  if (!isProviderName(name)) {
    return {
      name,
      enabled: false,
      hasKey: false,
      keySource: '',
      baseUrl: view.llm.providers[name]?.base_url ?? '',
      defaultModel: '',
      circuit: closed,
      pausedUntil: 0,
      state: 'unsupported',
      detail: 'no adapter for this name (use anthropic, openai, google or openai-compatible)',
      rateLimit: rateLimitInfo(undefined),
      models: [],
    };
  }
  const s = providerSettings(view.llm, name);
  const key = view.key(name);
  const snap = view.breaker(name);
  const circuit = snap
    ? {
        state: snap.state,
        failures: snap.failures,
        cooldownEnds: snap.cooldownEnds ?? 0,
        lastFailure: snap.lastFailure ?? 0,
      }
    : closed;
  const pausedUntil = view.pausedUntil(name);
  const defaultModel = s.defaultModel || view.catalog.defaultModel(name) || '';
  const endpoint = s.baseUrl || 'standard endpoint';
  let state: ProviderState = 'ok';
  const rateState = view.rateLimit(name);
  const rate = rateLimitText(name, rateState);
  let detail = `${key.hasKey ? `key from ${key.source}` : 'no key needed'}, ${defaultModel || 'no default model'}, ${endpoint}`;
  if (rate.limits !== undefined) detail += `, rate limit ${rate.limits}`;
  if (!s.enabled) [state, detail] = ['disabled', `llm.providers.${name}.enabled is false`];
  else if (key.required && !key.hasKey)
    [state, detail] = ['no key', `run \`sylk auth login ${name}\` or set ${KEY_VARS[name][0]} in sylkd's environment`];
  else if (view.authFailure(name) !== undefined)
    [state, detail] = [
      'auth failed',
      `${view.authFailure(name)?.message ?? ''}; run \`sylk auth login ${name}\` with a valid key`,
    ];
  else if (circuit.state === 'open')
    [state, detail] = ['open circuit', `${circuit.failures} failures; probe after ${iso(circuit.cooldownEnds)}`];
  else if (circuit.state === 'half_open') [state, detail] = ['half-open', 'probing the provider'];
  else if (pausedUntil > view.now) [state, detail] = ['paused', `rate limited; paused until ${iso(pausedUntil)}`];
  else if (rate.waiting !== undefined) [state, detail] = ['throttled', rate.waiting];
  else {
    const degradedUntil = view.streamingDegradedUntil(name);
    if (degradedUntil !== undefined)
      [state, detail] = [
        'degraded',
        `streams kept failing: requests go non-streaming; streaming probed again after ${iso(degradedUntil)}`,
      ];
  }
  return {
    name,
    enabled: s.enabled,
    hasKey: key.hasKey,
    keySource: key.source,
    baseUrl: s.baseUrl,
    defaultModel,
    circuit,
    pausedUntil,
    state,
    detail,
    rateLimit: rateLimitInfo(rateState),
    models: view.catalog.list(name).map((m) => m.id),
  };
}
