import { describe, expect, it } from 'vitest';
import { ErrorTier, SylkError } from '@sylk/core';
import { ProviderError } from '../types.js';
import type { ProviderErrorInfo } from '../types.js';
import { classifyError } from './classify.js';

const perr = (message: string, info: Partial<ProviderErrorInfo>) =>
  new ProviderError(message, { provider: 'anthropic', inStream: false, ...info });

describe('classifyError', () => {
  it.each([
    ['429 rate limit', perr('rate limited', { status: 429 }), ErrorTier.ExternalRateLimit],
    [
      '429 rate_limit_error type',
      perr('slow down', { status: 429, errorType: 'rate_limit_error' }),
      ErrorTier.ExternalRateLimit,
    ],
    [
      '429 spend limit insufficient_quota',
      perr('You exceeded your current quota', { status: 429, errorType: 'insufficient_quota' }),
      ErrorTier.UserFixable,
    ],
    [
      '429 credit balance',
      perr('Your credit balance is too low to access the API', { status: 429 }),
      ErrorTier.UserFixable,
    ],
    ['400 billing', perr('billing hard limit reached', { status: 400 }), ErrorTier.UserFixable],
    ['500', perr('internal', { status: 500 }), ErrorTier.ExternalDegrading],
    ['503', perr('unavailable', { status: 503 }), ErrorTier.ExternalDegrading],
    ['529 overloaded', perr('overloaded', { status: 529 }), ErrorTier.ExternalDegrading],
    [
      'in-stream overloaded_error after 200',
      perr('Overloaded', { status: 200, inStream: true, errorType: 'overloaded_error' }),
      ErrorTier.ExternalDegrading,
    ],
    [
      'in-stream api_error',
      perr('Internal server error', { inStream: true, errorType: 'api_error' }),
      ErrorTier.ExternalDegrading,
    ],
    [
      'in-stream unknown type',
      perr('weird', { status: 200, inStream: true, errorType: 'mystery' }),
      ErrorTier.Permanent,
    ],
    ['401', perr('bad key', { status: 401 }), ErrorTier.UserFixable],
    ['403 permission_error', perr('nope', { status: 403, errorType: 'permission_error' }), ErrorTier.UserFixable],
    [
      '400 invalid request',
      perr('messages: empty', { status: 400, errorType: 'invalid_request_error' }),
      ErrorTier.Permanent,
    ],
    ['404', perr('no such model', { status: 404 }), ErrorTier.Permanent],
    ['408', perr('timeout', { status: 408 }), ErrorTier.Transient],
    ['network fault, no status', perr('fetch failed', {}), ErrorTier.Transient],
    [
      'dropped mid-stream (adapter: transient)',
      new ProviderError(
        'connection failed mid-stream',
        { provider: 'google', inStream: true },
        { tier: ErrorTier.Transient, code: 'llm.network' },
      ),
      ErrorTier.Transient,
    ],
    [
      'malformed JSON mid-stream (adapter: transient)',
      new ProviderError(
        'malformed response',
        { provider: 'openai', inStream: true },
        { tier: ErrorTier.Transient, code: 'llm.malformed_response' },
      ),
      ErrorTier.Transient,
    ],
    [
      'Gemini 400 API key not valid',
      new ProviderError(
        'google rejected the API key',
        { provider: 'google', inStream: false, status: 400, errorType: 'INVALID_ARGUMENT' },
        { tier: ErrorTier.UserFixable, code: 'llm.auth_failed' },
      ),
      ErrorTier.UserFixable,
    ],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), ErrorTier.Transient],
    [
      'wrapped ETIMEDOUT',
      new Error('request failed', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }),
      ErrorTier.Transient,
    ],
    ['SylkError keeps its tier', new SylkError('x', { tier: ErrorTier.UserFixable }), ErrorTier.UserFixable],
    ['unknown', new Error('something odd'), ErrorTier.Permanent],
  ])('%s', (_name, err, tier) => {
    expect(classifyError(err)).toBe(tier);
  });

  it('applies configured patterns and status lists', () => {
    const config = {
      transient_patterns: ['flaky gateway'],
      permanent_patterns: ['content policy'],
      user_fixable_patterns: ['model .* not enabled'],
      rate_limit_statuses: [429, 420],
      degrading_statuses: [500],
    };
    expect(classifyError(new Error('flaky gateway hiccup'), config)).toBe(ErrorTier.Transient);
    expect(classifyError(perr('blocked by content policy', { status: 500 }), config)).toBe(ErrorTier.Permanent);
    expect(classifyError(perr('model opus not enabled for org', { status: 400 }), config)).toBe(ErrorTier.UserFixable);
    expect(classifyError(perr('calm', { status: 420 }), config)).toBe(ErrorTier.ExternalRateLimit);
    expect(classifyError(perr('x', { status: 429 }), { rate_limit_statuses: [] })).toBe(ErrorTier.Permanent);
  });
});
