import { abortReason, cryptoRandom, newId, systemClock, type Clock, type RandomSource } from '@sylk/core';
import { mapSqliteError, type SqliteDatabase } from '@sylk/storage';
import { sessionsError } from './errors.js';

const APPROVAL_DECISIONS = ['allow_once', 'allow_session', 'allow_always', 'deny', 'deny_with_message'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];
/** `decided` by someone, or `expired` (then a deny by {@link EXPIRY_DECIDER}). */
type ApprovalState = 'pending' | 'decided' | 'expired';

/** Who "decides" an approval that timed out. */
const EXPIRY_DECIDER = 'sylkd';
const EXPIRY_MESSAGE = 'timed out';

export interface Approval {
  id: string;
  sessionId: string;
  agentId: string;
  /** What is asked for: `command`, `path`, `network`, … */
  kind: string;
  summary: string;
  /** The exact command, or a preview of the diff. */
  detail: string;
  /** Why the permission manager asked. */
  reason: string;
  /** What "allow always" would add to the allowlist. */
  proposedRule: string | null;
  state: ApprovalState;
  decision: ApprovalDecision | null;
  message: string | null;
  decidedBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  decidedAt: number | null;
}

export interface ApprovalRequest {
  sessionId: string;
  agentId: string;
  kind: string;
  summary: string;
  detail: string;
  reason: string;
  proposedRule?: string;
  expiresAt?: number;
}

export interface Decision {
  decision: ApprovalDecision;
  /** Required for `deny_with_message`: it is passed to the agent. */
  message?: string;
  /** Who decided (a user, a client id). */
  decidedBy: string;
}

export interface ApprovalStoreOptions {
  /** `system.db`, migrated to at least version 2. */
  db: SqliteDatabase;
  clock?: Clock;
  random?: RandomSource;
  /** How often waitFor() looks for decisions made by other connections. Default 250 ms. */
  pollIntervalMs?: number;
}

interface Row {
  id: string;
  session_id: string;
  agent_id: string;
  kind: string;
  summary: string;
  detail: string;
  reason: string;
  proposed_rule: string | null;
  state: ApprovalState;
  decision: ApprovalDecision | null;
  message: string | null;
  decided_by: string | null;
  created_at: number;
  expires_at: number | null;
  decided_at: number | null;
}

interface Waiter {
  resolve: (approval: Approval) => void;
  reject: (err: unknown) => void;
}

/** Approval requests in `system.db`. The first decision wins; pending ones survive restarts. */
export class ApprovalStore {
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly pollIntervalMs: number;
  private readonly waiters = new Map<string, Set<Waiter>>();
  private poller: NodeJS.Timeout | undefined;

  constructor(options: ApprovalStoreOptions) {
    this.db = options.db;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  request(req: ApprovalRequest): Approval {
    for (const field of ['sessionId', 'agentId', 'kind', 'summary'] as const) {
      if (req[field].trim() === '')
        throw sessionsError('approvals.invalid', `approval request needs a non-empty ${field}`);
    }
    const now = this.clock.now();
    const id = newId('ap', now, this.random);
    try {
      this.db.raw
        .prepare(
          `INSERT INTO approvals (id, session_id, agent_id, kind, summary, detail, reason, proposed_rule, state, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          id,
          req.sessionId,
          req.agentId,
          req.kind,
          req.summary,
          req.detail,
          req.reason,
          req.proposedRule ?? null,
          now,
          req.expiresAt ?? null,
        );
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY')
        throw sessionsError('sessions.not_found', `no session with id "${req.sessionId}"`);
      throw mapSqliteError(err, this.db.path, 'storing approval request');
    }
    return this.get(id);
  }

  get(id: string): Approval {
    const row = this.db.raw.prepare<[string], Row>('SELECT * FROM approvals WHERE id = ?').get(id);
    if (row === undefined) throw sessionsError('approvals.not_found', `no approval request with id "${id}"`);
    return toApproval(row);
  }

  /** Pending requests, oldest first, optionally of one session. */
  pending(sessionId?: string): Approval[] {
    const rows =
      sessionId === undefined
        ? this.db.raw.prepare<[], Row>("SELECT * FROM approvals WHERE state = 'pending' ORDER BY created_at, id").all()
        : this.db.raw
            .prepare<[string], Row>(
              "SELECT * FROM approvals WHERE state = 'pending' AND session_id = ? ORDER BY created_at, id",
            )
            .all(sessionId);
    return rows.map(toApproval);
  }

  /**
   * Records a decision if the request is still pending; the conditional update makes the first
   * decision win across every connection. `approvals.already_resolved` names the earlier one.
   */
  decide(id: string, input: Decision): Approval {
    if (!(APPROVAL_DECISIONS as readonly string[]).includes(input.decision)) {
      throw sessionsError(
        'approvals.invalid',
        `"${input.decision}" is not a decision (use ${APPROVAL_DECISIONS.join(', ')})`,
      );
    }
    if (input.decision === 'deny_with_message' && (input.message ?? '').trim() === '') {
      throw sessionsError('approvals.invalid', 'deny_with_message needs a message for the agent');
    }
    const row = this.db.raw
      .prepare<[string, string | null, string, number, string], Row>(
        `UPDATE approvals SET state = 'decided', decision = ?, message = ?, decided_by = ?, decided_at = ?
         WHERE id = ? AND state = 'pending' RETURNING *`,
      )
      .get(input.decision, input.message ?? null, input.decidedBy, this.clock.now(), id);
    if (row === undefined) throw alreadyResolved(this.get(id));
    const approval = toApproval(row);
    this.settle(approval);
    return approval;
  }

  /** Resolves pending requests whose `expiresAt <= now` as a deny, "timed out". */
  expireDue(now: number = this.clock.now()): Approval[] {
    const rows = this.db.raw
      .prepare<[string, string, number, number], Row>(
        `UPDATE approvals SET state = 'expired', decision = 'deny', message = ?, decided_by = ?, decided_at = ?
         WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= ? RETURNING *`,
      )
      .all(EXPIRY_MESSAGE, EXPIRY_DECIDER, now, now);
    const expired = rows.map(toApproval).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    for (const approval of expired) this.settle(approval);
    return expired;
  }

  /**
   * Resolves with the resolved request once it is decided or expired — by this store at once,
   * or by any other connection to the file (seen by polling). Rejects when `signal` aborts.
   */
  waitFor(id: string, signal?: AbortSignal): Promise<Approval> {
    let current: Approval;
    try {
      current = this.get(id);
    } catch (err) {
      return Promise.reject(err);
    }
    if (current.state !== 'pending') return Promise.resolve(current);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<Approval>((resolve, reject) => {
      const onAbort = () => {
        this.removeWaiter(id, waiter);
        reject(abortReason(signal as AbortSignal));
      };
      const waiter: Waiter = {
        resolve: (approval) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(approval);
        },
        reject,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let set = this.waiters.get(id);
      if (set === undefined) this.waiters.set(id, (set = new Set()));
      set.add(waiter);
      this.poller ??= setInterval(() => this.poll(), this.pollIntervalMs).unref();
    });
  }

  /** Stops polling; outstanding waitFor() calls reject with `approvals.closed`. */
  close(): void {
    const waiting = [...this.waiters.values()].flatMap((set) => [...set]);
    this.waiters.clear();
    this.stopPolling();
    const err = sessionsError(
      'approvals.closed',
      'approval store closed while waiting for a decision; the request stays pending',
    );
    for (const waiter of waiting) waiter.reject(err);
  }

  private poll(): void {
    const select = this.db.raw.prepare<[string], Row>("SELECT * FROM approvals WHERE id = ? AND state != 'pending'");
    for (const id of [...this.waiters.keys()]) {
      const row = select.get(id);
      if (row !== undefined) this.settle(toApproval(row));
    }
  }

  private settle(approval: Approval): void {
    const set = this.waiters.get(approval.id);
    if (set === undefined) return;
    this.waiters.delete(approval.id);
    if (this.waiters.size === 0) this.stopPolling();
    for (const waiter of set) waiter.resolve(approval);
  }

  private removeWaiter(id: string, waiter: Waiter): void {
    const set = this.waiters.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(id);
    if (this.waiters.size === 0) this.stopPolling();
  }

  private stopPolling(): void {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
  }
}

function alreadyResolved(approval: Approval): Error {
  const when = new Date(approval.decidedAt ?? 0).toISOString();
  const how =
    approval.state === 'expired'
      ? `it expired (${EXPIRY_MESSAGE}) at ${when}`
      : `it was resolved as ${approval.decision ?? 'unknown'} by ${approval.decidedBy ?? 'unknown'} at ${when}`;
  return sessionsError('approvals.already_resolved', `approval ${approval.id} is no longer pending: ${how}`, {
    details: {
      id: approval.id,
      state: approval.state,
      decision: approval.decision,
      decidedBy: approval.decidedBy,
      decidedAt: approval.decidedAt,
    },
  });
}

function toApproval(row: Row): Approval {
  return {
    id: row.id,
    sessionId: row.session_id,
    agentId: row.agent_id,
    kind: row.kind,
    summary: row.summary,
    detail: row.detail,
    reason: row.reason,
    proposedRule: row.proposed_rule,
    state: row.state,
    decision: row.decision,
    message: row.message,
    decidedBy: row.decided_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
  };
}
