import { ErrorTier, SylkError } from '@sylk/core';

/** Stable codes of the errors this package throws. */
export type SessionsErrorCode =
  | 'sessions.not_found'
  | 'sessions.invalid_name'
  | 'sessions.name_taken'
  | 'sessions.invalid_transition'
  | 'sessions.not_deletable'
  | 'sessions.invalid_event'
  | 'sessions.log_closed'
  | 'sessions.log_conflict'
  | 'approvals.not_found'
  | 'approvals.already_resolved'
  | 'approvals.invalid'
  | 'approvals.closed';

const TIERS: Record<SessionsErrorCode, ErrorTier> = {
  'sessions.not_found': ErrorTier.UserFixable,
  'sessions.invalid_name': ErrorTier.UserFixable,
  'sessions.name_taken': ErrorTier.UserFixable,
  'sessions.invalid_transition': ErrorTier.Permanent,
  'sessions.not_deletable': ErrorTier.UserFixable,
  'sessions.invalid_event': ErrorTier.Permanent,
  'sessions.log_closed': ErrorTier.Permanent,
  'sessions.log_conflict': ErrorTier.Permanent,
  'approvals.not_found': ErrorTier.UserFixable,
  'approvals.already_resolved': ErrorTier.UserFixable,
  'approvals.invalid': ErrorTier.Permanent,
  'approvals.closed': ErrorTier.Transient,
};

export function sessionsError(
  code: SessionsErrorCode,
  message: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): SylkError {
  return new SylkError(message, { code, tier: TIERS[code], ...extra });
}
