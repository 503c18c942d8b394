import { ProviderError } from '../types.js';
import {
  providerError,
  transportError,
  unknownError,
  type ErrorContext,
  type HeaderLike,
  type UpstreamFailure,
} from './errors.js';

type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | undefined => (typeof v === 'object' && v !== null ? (v as Loose) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The longest raw error text quoted when a provider's error body is not JSON. */
const MAX_QUOTED_CHARS = 500;

/** Type and message of an error body: `{type, message}`, or those nested one level in `error`. */
function describeBody(body: Loose | undefined): { errorType: string | undefined; message: string | undefined } {
  const inner = obj(body?.['error']) ?? body;
  return { errorType: str(inner?.['code']) ?? str(inner?.['type']), message: str(inner?.['message']) };
}

/**
 * Anthropic and OpenAI SDK `APIError`s share a shape: status, headers, error (the body or
 * body.error), type/code. Connection errors are APIErrors without a status and with a cause.
 */
export function fromStainlessError(ctx: ErrorContext, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = obj(err);
  const isApiError =
    e !== undefined &&
    err instanceof Error &&
    'status' in e &&
    'error' in e &&
    !/Connection/.test(err.constructor.name);
  if (!isApiError) return transportError(ctx, err) ?? unknownError(ctx, err);
  const body = describeBody(obj(e['error']));
  const status = typeof e['status'] === 'number' ? e['status'] : undefined;
  const failure: UpstreamFailure = {
    status,
    errorType: str(e['code']) ?? str(e['type']) ?? body.errorType,
    message: body.message ?? (err as Error).message,
    headers:
      obj(e['headers']) && typeof (e['headers'] as Loose)['get'] === 'function'
        ? (e['headers'] as unknown as HeaderLike)
        : undefined,
  };
  return providerError(ctx, failure, err);
}

/**
 * An error the provider sent inside a 200 stream (Anthropic's `event: error`, OpenAI's data with
 * an `error`), classified as the SDK's APIError for it would be: by the body's error type, with
 * the response's headers. `body` is the parsed event, or its raw text when it was not JSON.
 */
export function fromStreamErrorBody(ctx: ErrorContext, body: unknown, headers: HeaderLike): ProviderError {
  const described = describeBody(obj(body));
  const raw = typeof body === 'string' ? body : '';
  const message =
    described.message ??
    (raw.length > MAX_QUOTED_CHARS ? `${raw.slice(0, MAX_QUOTED_CHARS)}…` : raw || 'error event without a message');
  return providerError({ ...ctx, inStream: true }, { errorType: described.errorType, message, headers }, body);
}

/** {@link fromStreamErrorBody} for an event's data text, which may not be JSON. */
export function fromStreamErrorEvent(ctx: ErrorContext, data: string, headers: HeaderLike): ProviderError {
  let body: unknown = data;
  try {
    body = JSON.parse(data);
  } catch {
    // quoted as text
  }
  return fromStreamErrorBody(ctx, body, headers);
}
