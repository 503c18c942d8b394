import { ErrorTier, SylkError, tierForNodeCode } from '@sylk/core';
import { ProviderError } from '../types.js';

/** Classifier settings (`llm.errors`); keys match the YAML config. Patterns are case-insensitive regexes. */
export interface ClassifierConfig {
  transient_patterns?: readonly string[];
  permanent_patterns?: readonly string[];
  user_fixable_patterns?: readonly string[];
  rate_limit_statuses?: readonly number[];
  degrading_statuses?: readonly number[];
}

interface Compiled {
  transient: RegExp[];
  permanent: RegExp[];
  userFixable: RegExp[];
  rateLimit: ReadonlySet<number>;
  degrading: ReadonlySet<number>;
}

const DEFAULT_RATE_LIMIT_STATUSES = [429];
const DEFAULT_DEGRADING_STATUSES = [500, 502, 503, 504, 529];

/** A 429 or 402 caused by a spend limit: waiting does not help, the user must act. */
const SPEND_LIMIT = /insufficient_quota|credit balance|billing|payment required|spend(ing)? limit/i;

/** Provider error types, which win over the HTTP status (and are all there is inside a stream). */
const ERROR_TYPE_TIERS: Record<string, ErrorTier> = {
  overloaded_error: ErrorTier.ExternalDegrading,
  api_error: ErrorTier.ExternalDegrading,
  server_error: ErrorTier.ExternalDegrading,
  internal_error: ErrorTier.ExternalDegrading,
  service_unavailable: ErrorTier.ExternalDegrading,
  unavailable: ErrorTier.ExternalDegrading,
  rate_limit_error: ErrorTier.ExternalRateLimit,
  rate_limit_exceeded: ErrorTier.ExternalRateLimit,
  resource_exhausted: ErrorTier.ExternalRateLimit,
  timeout_error: ErrorTier.Transient,
  deadline_exceeded: ErrorTier.Transient,
  authentication_error: ErrorTier.UserFixable,
  permission_error: ErrorTier.UserFixable,
  invalid_api_key: ErrorTier.UserFixable,
  unauthenticated: ErrorTier.UserFixable,
  permission_denied: ErrorTier.UserFixable,
  insufficient_quota: ErrorTier.UserFixable,
  billing_error: ErrorTier.UserFixable,
  invalid_request_error: ErrorTier.Permanent,
  not_found_error: ErrorTier.Permanent,
  request_too_large: ErrorTier.Permanent,
  invalid_argument: ErrorTier.Permanent,
};

function statusTier(status: number, c: Compiled): ErrorTier | undefined {
  if (c.rateLimit.has(status)) return ErrorTier.ExternalRateLimit;
  if (c.degrading.has(status)) return ErrorTier.ExternalDegrading;
  if (status === 408) return ErrorTier.Transient;
  if (status === 401 || status === 402 || status === 403) return ErrorTier.UserFixable;
  if (status >= 500) return ErrorTier.ExternalDegrading;
  return undefined;
}

const compiledCache = new WeakMap<ClassifierConfig, Compiled>();

function compile(config: ClassifierConfig): Compiled {
  let c = compiledCache.get(config);
  if (c === undefined) {
    const rx = (list: readonly string[] | undefined) => (list ?? []).map((p) => new RegExp(p, 'i'));
    c = {
      transient: rx(config.transient_patterns),
      permanent: rx(config.permanent_patterns),
      userFixable: rx(config.user_fixable_patterns),
      rateLimit: new Set(config.rate_limit_statuses ?? DEFAULT_RATE_LIMIT_STATUSES),
      degrading: new Set(config.degrading_statuses ?? DEFAULT_DEGRADING_STATUSES),
    };
    compiledCache.set(config, c);
  }
  return c;
}

/** Message, error type and node code of the error and its causes, for pattern matching. */
function describe(err: unknown): { text: string; nodeCode: string | undefined } {
  const parts: string[] = [];
  let nodeCode: string | undefined;
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) parts.push(current.message);
    else parts.push(String(current));
    const code = (current as { code?: unknown }).code;
    if (nodeCode === undefined && typeof code === 'string' && /^E[A-Z_]+$/.test(code)) nodeCode = code;
    if (current instanceof ProviderError && current.info.errorType) parts.push(current.info.errorType);
    current = (current as { cause?: unknown }).cause;
  }
  return { text: parts.join(' | '), nodeCode };
}

function isSpendLimit(err: ProviderError, text: string): boolean {
  return err.info.errorType === 'insufficient_quota' || SPEND_LIMIT.test(text);
}

/**
 * The tier of an error (docs/design/errors.md). Order: spend limits, configured patterns, the provider's error
 * type (so an in-stream `overloaded_error` after a 200 is degrading, not "ok"), the HTTP status,
 * network faults, an existing SylkError tier; unknown is Permanent.
 */
export function classifyError(err: unknown, config: ClassifierConfig = {}): ErrorTier {
  const c = compile(config);
  const { text, nodeCode } = describe(err);
  const provider = err instanceof ProviderError ? err : undefined;
  if (provider !== undefined && isSpendLimit(provider, text)) return ErrorTier.UserFixable;
  // A rejected key, whatever status carries it (Gemini: 400 INVALID_ARGUMENT "API key not valid").
  if (provider?.code === 'llm.auth_failed') return ErrorTier.UserFixable;
  if (c.userFixable.some((r) => r.test(text))) return ErrorTier.UserFixable;
  if (c.permanent.some((r) => r.test(text))) return ErrorTier.Permanent;
  if (c.transient.some((r) => r.test(text))) return ErrorTier.Transient;
  if (provider !== undefined) {
    const byType =
      provider.info.errorType === undefined ? undefined : ERROR_TYPE_TIERS[provider.info.errorType.toLowerCase()];
    if (byType !== undefined) return byType;
    if (!provider.info.inStream && provider.info.status !== undefined) {
      const byStatus = statusTier(provider.info.status, c);
      if (byStatus !== undefined) return byStatus;
      return ErrorTier.Permanent;
    }
  }
  const byNode = tierForNodeCode(nodeCode);
  if (byNode !== undefined) return byNode;
  // A provider error without status outside a stream is a transport fault (no response at all).
  if (provider !== undefined && !provider.info.inStream && provider.info.status === undefined)
    return ErrorTier.Transient;
  // In a stream without a provider error type: the adapter saw a transport fault (drop, truncation, bad JSON).
  if (provider !== undefined && provider.info.inStream && provider.info.errorType === undefined) return provider.tier;
  if (err instanceof SylkError && !(err instanceof ProviderError)) return err.tier;
  return ErrorTier.Permanent;
}
