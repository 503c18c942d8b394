/** Configured rate limits and their waiting requests, as `sylk status` / `sylk providers` show them. */
import type { RateLimitState } from '@sylk/llm/gate';

/** One bucket's limits; 0 = none. `model` empty = the provider's own bucket. */
interface RateLimitBucket {
  model: string;
  requestsPerMinute: number;
  tokensPerMinute: number;
}

export interface ProviderRateLimit {
  buckets: RateLimitBucket[];
  usedRequests: number;
  usedTokens: number;
  waiting: number;
  /** Unix ms; 0 = nothing waits. */
  waitingUntil: number;
}

/** The structured form (the Providers RPC); no limits configured = no buckets. */
export function rateLimitInfo(s: RateLimitState | undefined): ProviderRateLimit {
  const bucket = (model: string, b: { requestsPerMinute?: number; tokensPerMinute?: number }) => ({
    model,
    requestsPerMinute: b.requestsPerMinute ?? 0,
    tokensPerMinute: b.tokensPerMinute ?? 0,
  });
  const l = s?.limits;
  const buckets =
    l === undefined ? [] : [bucket('', l), ...Object.entries(l.models ?? {}).map(([m, b]) => bucket(m, b))];
  return {
    buckets: buckets.filter((b) => b.requestsPerMinute > 0 || b.tokensPerMinute > 0),
    usedRequests: s?.used.requests ?? 0,
    usedTokens: s?.used.tokens ?? 0,
    waiting: s?.waiting ?? 0,
    waitingUntil: s?.waitingUntil ?? 0,
  };
}

const perMinute = (b: { requestsPerMinute?: number; tokensPerMinute?: number }): string[] => [
  ...(b.requestsPerMinute !== undefined ? [`${b.requestsPerMinute} requests/min`] : []),
  ...(b.tokensPerMinute !== undefined ? [`${b.tokensPerMinute} tokens/min`] : []),
];

/**
 * `limits`: "2 requests/min, 40000 tokens/min; claude-x 5 requests/min" (undefined when none is
 * configured); `waiting`: "1 request waiting for the rate limit (…) until <ISO time>" while any waits.
 */
export function rateLimitText(provider: string, s: RateLimitState): { limits?: string; waiting?: string } {
  const l = s.limits;
  const connections = l?.maxConcurrent ? [`${l.maxConcurrent} connections`] : [];
  const parts = l === undefined ? [] : [[...perMinute(l), ...connections].join(', ')];
  for (const [model, b] of Object.entries(l?.models ?? {})) parts.push(`${model} ${perMinute(b).join(', ')}`);
  const limits = parts.filter((p) => p !== '').join('; ');
  const out: { limits?: string; waiting?: string } = limits === '' ? {} : { limits };
  if (s.waiting > 0) {
    const n = s.waiting === 1 ? '1 request' : `${s.waiting} requests`;
    out.waiting =
      `${n} waiting for the rate limit (${limits}) until ${new Date(s.waitingUntil).toISOString()}; ` +
      `llm.providers.${provider}.rate_limits sets it`;
  }
  return out;
}
