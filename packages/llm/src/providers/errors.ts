import { ErrorTier, errorMessage, scrubSecrets, tierForNodeCode } from '@sylk/core';
import { ProviderError, type ProviderErrorInfo, type ProviderName } from '../types.js';

/** Anything with a fetch-style `get` (the SDKs' error headers). */
export interface HeaderLike {
  get(name: string): string | null;
}

/** Provider error types that mean "out of money / plan limit", which waiting will not fix. */
const QUOTA_TYPES = new Set([
  'insufficient_quota',
  'billing_error',
  'billing_hard_limit_reached',
  'credit_balance_too_low',
]);
const QUOTA_MESSAGE = /check your plan and billing|credit balance is too low|spend(ing)? limit/i;
const DEGRADING_TYPES = new Set([
  'overloaded_error',
  'api_error',
  'server_error',
  'UNAVAILABLE',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
]);
const RATE_TYPES = new Set(['rate_limit_error', 'rate_limit_exceeded', 'requests', 'tokens', 'RESOURCE_EXHAUSTED']);
const AUTH_TYPES = new Set([
  'authentication_error',
  'permission_error',
  'invalid_api_key',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ENOTFOUND',
]);
const NETWORK_MESSAGE =
  /\b(terminated|fetch failed|socket hang up|other side closed|connection error|ECONNRESET|ECONNREFUSED)\b/i;
const MALFORMED_MESSAGE = /JSON|parsing stream chunk|Unexpected (token|end)/i;

/** Milliseconds from `retry-after-ms`, `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(headers: HeaderLike | undefined, nowMs: number): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * `1s`, `6m0s`, `20ms`, `1h2m3.5s` (OpenAI reset headers) → ms.
 * @internal exported for tests
 */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched += m[0];
  }
  return matched === text.trim() && matched !== '' ? Math.round(total) : undefined;
}

/** Normalized rate-limit headers (OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`). */
export function parseRateLimit(headers: HeaderLike | undefined, nowMs: number): ProviderErrorInfo['rateLimit'] {
  if (!headers) return undefined;
  const num = (...names: string[]) => {
    for (const name of names) {
      const v = Number.parseInt(headers.get(name) ?? '', 10);
      if (Number.isFinite(v)) return v;
    }
    return undefined;
  };
  const requestsRemaining = num('x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining');
  const tokensRemaining = num(
    'x-ratelimit-remaining-tokens',
    'anthropic-ratelimit-tokens-remaining',
    'anthropic-ratelimit-input-tokens-remaining',
  );
  const openaiReset = headers.get('x-ratelimit-reset-requests') ?? headers.get('x-ratelimit-reset-tokens');
  const anthropicReset =
    headers.get('anthropic-ratelimit-requests-reset') ?? headers.get('anthropic-ratelimit-tokens-reset');
  const resetMs =
    openaiReset !== null
      ? parseDuration(openaiReset)
      : anthropicReset !== null && !Number.isNaN(Date.parse(anthropicReset))
        ? Math.max(0, Date.parse(anthropicReset) - nowMs)
        : undefined;
  const out = { requestsRemaining, tokensRemaining, resetMs };
  const defined = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
  return Object.keys(defined).length > 0 ? defined : undefined;
}

export function isQuotaError(errorType: string | undefined, message: string): boolean {
  return (errorType !== undefined && QUOTA_TYPES.has(errorType)) || QUOTA_MESSAGE.test(message);
}

/** Provisional tier from status and provider error type; the gate's classifier has the last word. */
export function provisionalTier(status: number | undefined, errorType: string | undefined, message = ''): ErrorTier {
  if (status === 401 || status === 403 || (errorType !== undefined && AUTH_TYPES.has(errorType)))
    return ErrorTier.UserFixable;
  if (isQuotaError(errorType, message)) return ErrorTier.UserFixable;
  if (status === 429 || (errorType !== undefined && RATE_TYPES.has(errorType))) return ErrorTier.ExternalRateLimit;
  if ((status !== undefined && status >= 500) || (errorType !== undefined && DEGRADING_TYPES.has(errorType)))
    return ErrorTier.ExternalDegrading;
  if (status === 408 || status === 409) return ErrorTier.Transient;
  if (status === undefined) return ErrorTier.Transient;
  return ErrorTier.Permanent;
}

function codeForTier(tier: ErrorTier, status: number | undefined, quota: boolean): string {
  if (quota) return 'llm.quota_exceeded';
  switch (tier) {
    case ErrorTier.UserFixable:
      return status === undefined || status === 401 || status === 403 || status === 400
        ? 'llm.auth_failed'
        : 'llm.user_fixable';
    case ErrorTier.ExternalRateLimit:
      return 'llm.rate_limited';
    case ErrorTier.ExternalDegrading:
      return 'llm.provider_degraded';
    case ErrorTier.Transient:
      return 'llm.transient';
    default:
      return status !== undefined && status >= 400 && status < 500 ? 'llm.bad_request' : 'llm.provider_error';
  }
}

export interface ErrorContext {
  provider: ProviderName;
  inStream: boolean;
  /** Where the key came from (`env ANTHROPIC_API_KEY`, `keychain`, `config`); never the key. */
  credentialSource?: string | undefined;
  nowMs: number;
}

/** The fields an upstream failure boils down to, whichever SDK raised it. */
export interface UpstreamFailure {
  status?: number | undefined;
  errorType?: string | undefined;
  message: string;
  headers?: HeaderLike | undefined;
  retryAfterMs?: number | undefined;
  isAuth?: boolean;
}

export function providerError(ctx: ErrorContext, f: UpstreamFailure, cause: unknown): ProviderError {
  const message = scrubSecrets(f.message);
  const auth = f.isAuth === true || f.status === 401 || f.status === 403;
  const quota = !auth && isQuotaError(f.errorType, message);
  const tier = auth ? ErrorTier.UserFixable : provisionalTier(f.status, f.errorType, message);
  const rateLimit = parseRateLimit(f.headers, ctx.nowMs);
  let retryAfterMs = f.retryAfterMs ?? parseRetryAfter(f.headers, ctx.nowMs);
  if (retryAfterMs === undefined && tier === ErrorTier.ExternalRateLimit) retryAfterMs = rateLimit?.resetMs;
  const info: ProviderErrorInfo = {
    provider: ctx.provider,
    inStream: ctx.inStream,
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(f.errorType !== undefined ? { errorType: f.errorType } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
  };
  const what = [f.status !== undefined ? `HTTP ${f.status}` : undefined, f.errorType].filter(Boolean).join(' ');
  const code = codeForTier(tier, f.status, quota);
  if (code === 'llm.auth_failed') {
    const source = ctx.credentialSource ?? 'the configured API key';
    return new ProviderError(`${ctx.provider} rejected the API key from ${source} (${what}): ${message}`, info, {
      tier,
      code,
      cause,
      hint: `Check or replace the key: sylk auth login ${ctx.provider}`,
    });
  }
  const hint = quota ? `The ${ctx.provider} account is out of quota or credit; check its plan and billing.` : undefined;
  return new ProviderError(`${ctx.provider} ${inStreamLabel(ctx)}failed${what ? ` (${what})` : ''}: ${message}`, info, {
    tier,
    code,
    cause,
    ...(hint ? { hint } : {}),
  });
}

function inStreamLabel(ctx: ErrorContext): string {
  return ctx.inStream ? 'stream ' : 'request ';
}

function nodeCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let i = 0; i < 5 && current; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageChain(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let i = 0; i < 5 && current; i++) {
    parts.push(errorMessage(current));
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ');
}

/** Errors that are not an HTTP answer: dropped connections and unparseable bodies. */
export function transportError(ctx: ErrorContext, err: unknown): ProviderError | undefined {
  const chain = messageChain(err);
  const code = nodeCode(err);
  if (err instanceof SyntaxError || (MALFORMED_MESSAGE.test(chain) && !code)) {
    return new ProviderError(
      `${ctx.provider} sent a malformed response: ${scrubSecrets(errorMessage(err))}`,
      { provider: ctx.provider, inStream: ctx.inStream },
      {
        tier: ErrorTier.Transient,
        code: 'llm.malformed_response',
        cause: err,
      },
    );
  }
  if (code || NETWORK_MESSAGE.test(chain)) {
    return new ProviderError(
      `${ctx.provider} connection failed${ctx.inStream ? ' mid-stream' : ''}: ${scrubSecrets(chain)}`,
      { provider: ctx.provider, inStream: ctx.inStream },
      {
        tier: tierForNodeCode(code) ?? ErrorTier.Transient,
        code: 'llm.network',
        cause: err,
      },
    );
  }
  return undefined;
}

export function unknownError(ctx: ErrorContext, err: unknown): ProviderError {
  return new ProviderError(
    `${ctx.provider} call failed: ${scrubSecrets(errorMessage(err))}`,
    { provider: ctx.provider, inStream: ctx.inStream },
    {
      tier: ErrorTier.Permanent,
      code: 'llm.provider_error',
      cause: err,
    },
  );
}

export function abortedError(ctx: ErrorContext, reason: unknown): ProviderError {
  return new ProviderError(
    `${ctx.provider} request aborted: ${errorMessage(reason)}`,
    { provider: ctx.provider, inStream: ctx.inStream },
    {
      tier: ErrorTier.Transient,
      code: 'llm.aborted',
      cause: reason,
    },
  );
}

export function truncatedError(ctx: ErrorContext): ProviderError {
  return new ProviderError(
    `${ctx.provider} stream ended before its final event`,
    { provider: ctx.provider, inStream: true },
    {
      tier: ErrorTier.Transient,
      code: 'llm.stream_truncated',
    },
  );
}

export function blockedError(ctx: ErrorContext, reason: string): ProviderError {
  return new ProviderError(
    `${ctx.provider} blocked the response (${reason})`,
    { provider: ctx.provider, inStream: ctx.inStream, errorType: reason },
    {
      tier: ErrorTier.Permanent,
      code: 'llm.blocked',
      hint: 'Rephrase the request; the provider refused to produce this content.',
    },
  );
}

export function missingKeyError(provider: ProviderName, credentialSource: string | undefined): ProviderError {
  const source = credentialSource ?? defaultKeySource(provider);
  return new ProviderError(
    `No API key for ${provider} (looked in ${source})`,
    { provider, inStream: false },
    {
      tier: ErrorTier.UserFixable,
      code: 'llm.auth_missing',
      hint: `Set ${defaultKeySource(provider)} or run: sylk auth login ${provider}`,
    },
  );
}

function defaultKeySource(provider: ProviderName): string {
  switch (provider) {
    case 'anthropic':
      return 'env ANTHROPIC_API_KEY';
    case 'openai':
      return 'env OPENAI_API_KEY';
    case 'google':
      return 'env GOOGLE_API_KEY';
    default:
      return 'the provider config';
  }
}
