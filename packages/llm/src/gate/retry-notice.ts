import type { RateWait, RetryScheduled } from './events.js';

/** What went wrong, as a person reads it, by the failure's code. */
function what(retry: RetryScheduled): string {
  switch (retry.code) {
    case 'llm.rate_limited':
      return `${retry.provider} rate limited the request`;
    case 'llm.provider_degraded':
      return `${retry.provider} is overloaded or failing`;
    case 'llm.network':
      return `the connection to ${retry.provider} failed`;
    case 'llm.stream_truncated':
      return `the ${retry.provider} stream ended early`;
    case 'llm.malformed_response':
      return `${retry.provider} sent a malformed response`;
    case 'llm.stream_timeout':
      return `the ${retry.provider} stream stalled`;
    case 'llm.first_output_timeout':
      return `${retry.provider} sent no output in time`;
    default:
      return `the ${retry.provider} request failed`;
  }
}

/** One line for the person waiting: "anthropic rate limited the request; retrying in 12 s (retry 1 of 10)". */
export function retryNoticeText(retry: RetryScheduled): string {
  const seconds = retry.delayMs < 500 ? '< 1 s' : `${Math.round(retry.delayMs / 1000)} s`;
  return `${what(retry)}; retrying in ${seconds} (retry ${retry.attempt} of ${retry.maxRetries})`;
}

/**
 * One line for the person waiting on a configured rate limit: "waiting 42 s for the anthropic
 * limit of 2 requests per minute (llm.providers.anthropic.rate_limits)".
 */
export function rateWaitNoticeText(wait: RateWait): string {
  const seconds = wait.delayMs < 500 ? '< 1 s' : `${Math.round(wait.delayMs / 1000)} s`;
  const scope = wait.bucketModel === undefined ? wait.provider : `${wait.provider} ${wait.bucketModel}`;
  const key = `llm.providers.${wait.provider}.rate_limits${wait.bucketModel === undefined ? '' : '.models'}`;
  return `waiting ${seconds} for the ${scope} limit of ${wait.limit} ${wait.resource} per minute (${key})`;
}
