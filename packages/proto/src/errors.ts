import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ErrorTier, SylkError, isSylkError, scrubSecrets } from '@sylk/core';

/** Metadata keys that carry a SylkError's typed fields across the socket. */
const CODE_KEY = 'sylk-error-code';
const TIER_KEY = 'sylk-error-tier';
const HINT_KEY = 'sylk-error-hint';

const CODE_STATUS: Record<string, status> = {
  not_found: status.NOT_FOUND,
  invalid_argument: status.INVALID_ARGUMENT,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  unimplemented: status.UNIMPLEMENTED,
  cancelled: status.CANCELLED,
  aborted: status.CANCELLED,
  shutting_down: status.UNAVAILABLE,
  permission_denied: status.PERMISSION_DENIED,
};

function statusForError(err: SylkError): status {
  const byCode = CODE_STATUS[err.code];
  if (byCode !== undefined) return byCode;
  switch (err.tier) {
    case ErrorTier.UserFixable:
      return status.FAILED_PRECONDITION;
    case ErrorTier.ExternalRateLimit:
      return status.RESOURCE_EXHAUSTED;
    case ErrorTier.Transient:
    case ErrorTier.ExternalDegrading:
      return status.UNAVAILABLE;
    default:
      return status.INTERNAL;
  }
}

/**
 * Characters of an error message or hint in the trailer. The client refuses trailers over its
 * metadata limit (8 KB by default) and then fails the call obscurely, so an error that echoes
 * hostile input (a 100 KB id) is cut here whatever the handler did.
 */
const MAX_TRAILER_TEXT = 2_000;

function bounded(text: string): string {
  return text.length <= MAX_TRAILER_TEXT
    ? text
    : `${text.slice(0, MAX_TRAILER_TEXT)}… (cut, ${text.length} characters)`;
}

/**
 * Turn anything a handler threw into a gRPC status, keeping the SylkError fields. Message and
 * hint are scrubbed of credential-shaped text, and of the process's known secrets when the
 * server was given `redact` (the daemon's SecretValues).
 */
export function toStatus(err: unknown, redact?: (text: string) => string): Partial<StatusObject> {
  const clean = (text: string) => bounded(scrubSecrets(redact === undefined ? text : redact(text)));
  const sylk = isSylkError(err)
    ? err
    : new SylkError(err instanceof Error ? err.message : String(err), { code: 'internal', cause: err });
  const metadata = new Metadata();
  metadata.set(CODE_KEY, sylk.code);
  metadata.set(TIER_KEY, sylk.tier);
  if (sylk.hint !== undefined) metadata.set(HINT_KEY, clean(sylk.hint));
  return { code: statusForError(sylk), details: clean(sylk.message), metadata };
}

const TIERS = new Set<string>(Object.values(ErrorTier));

/** Rebuild a SylkError on the client from a failed call. */
export function fromServiceError(err: ServiceError): SylkError {
  const first = (key: string) => {
    const v = err.metadata?.get(key)[0];
    return typeof v === 'string' ? v : undefined;
  };
  const tierText = first(TIER_KEY);
  const tier = tierText !== undefined && TIERS.has(tierText) ? (tierText as ErrorTier) : undefined;
  const code = first(CODE_KEY) ?? `grpc.${status[err.code]?.toLowerCase() ?? err.code}`;
  const hint = first(HINT_KEY);
  return new SylkError(err.details || err.message, {
    code,
    ...(tier !== undefined ? { tier } : {}),
    ...(hint !== undefined ? { hint } : {}),
    details: { grpcCode: err.code },
    cause: err,
  });
}
