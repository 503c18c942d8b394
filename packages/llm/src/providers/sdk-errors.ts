import { ProviderError } from '../types.js';
import { providerError, transportError, unknownError, type ErrorContext, type HeaderLike, type UpstreamFailure } from './errors.js';

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | undefined => (typeof v === 'object' && v !== null ? (v as Loose) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Anthropic and OpenAI SDK `APIError`s share a shape: status, headers, error (the body or
 * body.error), type/code. Connection errors are APIErrors without a status and with a cause.
 */
export function fromStainlessError(ctx: ErrorContext, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = obj(err);
  const isApiError = e !== undefined && err instanceof Error && 'status' in e && 'error' in e && !/Connection/.test(err.constructor.name);
  if (!isApiError) return transportError(ctx, err) ?? unknownError(ctx, err);
  const body = obj(e['error']);
  const inner = obj(body?.['error']) ?? body;
  const status = typeof e['status'] === 'number' ? e['status'] : undefined;
  const errorType = str(e['code']) ?? str(e['type']) ?? str(inner?.['code']) ?? str(inner?.['type']);
  const failure: UpstreamFailure = {
    status,
    errorType,
    message: str(inner?.['message']) ?? (err as Error).message,
    headers: obj(e['headers']) && typeof (e['headers'] as Loose)['get'] === 'function' ? (e['headers'] as unknown as HeaderLike) : undefined,
  };
  return providerError(ctx, failure, err);
}
