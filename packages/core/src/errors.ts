/**
 * The five-tier error taxonomy (docs/design/errors.md). Every error that crosses a package
 * boundary is a SylkError so retry policy, notification and escalation can act
 * on its tier without string matching.
 */
export const ErrorTier = {
  Transient: 'transient',
  Permanent: 'permanent',
  UserFixable: 'user_fixable',
  ExternalRateLimit: 'external_rate_limit',
  ExternalDegrading: 'external_degrading',
} as const;
export type ErrorTier = (typeof ErrorTier)[keyof typeof ErrorTier];

export interface SylkErrorOptions {
  tier?: ErrorTier;
  /** Stable machine-readable code, e.g. `config.invalid`, `daemon.locked`. */
  code?: string;
  cause?: unknown;
  /** What the user can do about it, shown under the message. */
  hint?: string;
  details?: Record<string, unknown>;
}

export class SylkError extends Error {
  readonly tier: ErrorTier;
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: SylkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SylkError';
    // A wrapped SylkError keeps its tier unless the wrapper decides otherwise.
    this.tier = options.tier ?? tierOf(options.cause) ?? ErrorTier.Permanent;
    this.code = options.code ?? 'error';
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

export function isSylkError(err: unknown): err is SylkError {
  return err instanceof SylkError;
}

/** The tier of an error or of the nearest SylkError in its cause chain. */
export function tierOf(err: unknown): ErrorTier | undefined {
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 16; depth++) {
    if (current instanceof SylkError) return current.tier;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const NODE_CODE_TIERS: Record<string, ErrorTier> = {
  ECONNRESET: ErrorTier.Transient,
  ETIMEDOUT: ErrorTier.Transient,
  EAI_AGAIN: ErrorTier.Transient,
  ECONNREFUSED: ErrorTier.Transient,
  EPIPE: ErrorTier.Transient,
  EACCES: ErrorTier.UserFixable,
  EPERM: ErrorTier.UserFixable,
  ENOSPC: ErrorTier.UserFixable,
};

/** Tier for a Node system error code; unknown → undefined. */
export function tierForNodeCode(code: string | undefined): ErrorTier | undefined {
  return code === undefined ? undefined : NODE_CODE_TIERS[code];
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
