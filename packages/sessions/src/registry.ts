import {
  cryptoRandom,
  errorMessage,
  newId,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type RandomSource,
} from '@sylk/core';
import { mapSqliteError, type SqliteDatabase } from '@sylk/storage';
import { sessionsError } from './errors.js';
import type { EventLog } from './event-log.js';
import type { EventLogs } from './event-logs.js';
import { friendlyName, nameProblem } from './names.js';
import { DELETABLE_STATES, IN_TURN_STATES, allowedTransitions, canTransition, type SessionState } from './states.js';

export interface SessionRecord {
  id: string;
  name: string;
  projectRoot: string;
  provider: string;
  model: string;
  state: SessionState;
  createdAt: number;
  updatedAt: number;
  lastActivityAt: number;
  budgetUsd: number | null;
  /** A turn was cut short by a daemon crash and can be resumed. Cleared when it runs again. */
  interrupted: boolean;
  /** Seq of the newest committed event, as last recorded here. */
  lastSeq: number;
}

export interface CreateSessionInput {
  /** Generated (`brave-otter`) when omitted. */
  name?: string;
  projectRoot: string;
  provider: string;
  model: string;
  budgetUsd?: number | null;
}

export interface SessionFilter {
  state?: SessionState | readonly SessionState[];
  projectRoot?: string;
}

export interface SessionRegistryOptions {
  /** `system.db`, migrated to at least version 2. */
  db: SqliteDatabase;
  logs: EventLogs;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}

interface Row {
  id: string;
  name: string;
  project_root: string;
  provider: string;
  model: string;
  state: SessionState;
  created_at: number;
  updated_at: number;
  last_activity_at: number;
  budget_usd: number | null;
  interrupted: number;
  last_seq: number;
}

const LIVE = 'deleted_at IS NULL';
const NAME_ATTEMPTS = 8;
/**
 * Activity (last seq, last activity time) reaches system.db at most this often per daemon: a
 * streaming session commits hundreds of groups a second, and one UPDATE each cost more than the
 * commits. Reads see pending activity at once; a crash loses at most this much bookkeeping
 * (the event log is the truth).
 */
const ACTIVITY_FLUSH_MS = 250;

const INTERRUPTED_MESSAGE =
  'The daemon stopped while this turn was running; the turn was interrupted and can be resumed.';

/** Sessions in `system.db`: create, look up, change state; each state change is also an event. */
export class SessionRegistry {
  private readonly db: SqliteDatabase;
  private readonly logs: EventLogs;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly logger: Logger;
  private readonly stopListening: () => void;
  private readonly activity = new Map<string, { lastSeq: number; ts: number }>();
  private activityTimer: NodeJS.Timeout | undefined;

  constructor(options: SessionRegistryOptions) {
    this.db = options.db;
    this.logs = options.logs;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.logger = options.logger ?? silentLogger();
    this.stopListening = this.logs.onCommit((id, lastSeq, ts) => this.recordActivity(id, lastSeq, ts));
  }

  create(input: CreateSessionInput): SessionRecord {
    const now = this.clock.now();
    const name = input.name === undefined ? this.freeName() : this.checkedName(input.name);
    const id = newId('s', now, this.random);
    try {
      this.db.raw
        .prepare(
          `INSERT INTO sessions (id, name, project_root, provider, model, state, created_at, updated_at, last_activity_at, budget_usd)
           VALUES (?, ?, ?, ?, ?, 'created', ?, ?, ?, ?)`,
        )
        .run(id, name, input.projectRoot, input.provider, input.model, now, now, now, input.budgetUsd ?? null);
    } catch (err) {
      throw this.nameTakenOr(err, name);
    }
    return this.get(id);
  }

  /** By id or name; `sessions.not_found` when neither matches a live session. */
  get(idOrName: string): SessionRecord {
    const found = this.find(idOrName);
    if (found === undefined) {
      throw sessionsError('sessions.not_found', `no session with id or name "${idOrName}"`, {
        hint: 'Run `sylk ls --all` to see the sessions there are.',
      });
    }
    return found;
  }

  find(idOrName: string): SessionRecord | undefined {
    const row = this.db.raw
      .prepare<[string, string], Row>(`SELECT * FROM sessions WHERE (id = ? OR name = ?) AND ${LIVE}`)
      .get(idOrName, idOrName);
    return row === undefined ? undefined : this.toRecord(row);
  }

  /** Live sessions, oldest first. */
  list(filter: SessionFilter = {}): SessionRecord[] {
    const where = [LIVE];
    const params: string[] = [];
    if (filter.state !== undefined) {
      const states: readonly SessionState[] = typeof filter.state === 'string' ? [filter.state] : filter.state;
      if (states.length === 0) return [];
      where.push(`state IN (${states.map(() => '?').join(', ')})`);
      params.push(...states);
    }
    if (filter.projectRoot !== undefined) {
      where.push('project_root = ?');
      params.push(filter.projectRoot);
    }
    const rows = this.db.raw
      .prepare<string[], Row>(`SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY created_at, id`)
      .all(...params);
    return rows.map((row) => this.toRecord(row));
  }

  /**
   * Moves a session to `to` (a no-op when it is already there) and appends a `state_changed`
   * event; `sessions.invalid_transition` when the move is not allowed.
   */
  async setState(idOrName: string, to: SessionState, opts: { reason?: string } = {}): Promise<SessionRecord> {
    const current = this.get(idOrName);
    if (current.state === to) return current;
    if (!canTransition(current.state, to)) {
      const allowed = allowedTransitions(current.state);
      throw sessionsError(
        'sessions.invalid_transition',
        `session ${current.name} cannot go from ${current.state} to ${to}`,
        {
          details: { sessionId: current.id, from: current.state, to, allowed },
          hint:
            allowed.length === 0
              ? `A ${current.state} session is final.`
              : `From ${current.state} it can go to: ${allowed.join(', ')}.`,
        },
      );
    }
    const changed = this.db.raw
      .prepare(
        `UPDATE sessions SET state = ?, updated_at = ?, ` +
          `interrupted = CASE WHEN ? = 'running' THEN 0 ELSE interrupted END WHERE id = ? AND state = ? AND ${LIVE}`,
      )
      .run(to, this.clock.now(), to, current.id, current.state).changes;
    // Another connection moved it in between: re-validate against what it is now.
    if (changed === 0) return this.setState(current.id, to, opts);
    await this.logs.get(current.id).append('state_changed', {
      from: current.state,
      to,
      ...(opts.reason === undefined ? {} : { reason: opts.reason }),
    });
    return this.get(current.id);
  }

  rename(idOrName: string, newName: string): SessionRecord {
    const current = this.get(idOrName);
    const name = this.checkedName(newName);
    try {
      this.db.raw
        .prepare('UPDATE sessions SET name = ?, updated_at = ? WHERE id = ?')
        .run(name, this.clock.now(), current.id);
    } catch (err) {
      throw this.nameTakenOr(err, name);
    }
    return this.get(current.id);
  }

  /** The provider and model later turns use (`/model`); the caller checks them first. */
  setModel(idOrName: string, provider: string, model: string): SessionRecord {
    const current = this.get(idOrName);
    this.db.raw
      .prepare('UPDATE sessions SET provider = ?, model = ?, updated_at = ? WHERE id = ?')
      .run(provider, model, this.clock.now(), current.id);
    return this.get(current.id);
  }

  /** Deletes a closed, completed or failed session and its event log; the row is kept as history. */
  delete(idOrName: string): void {
    const current = this.get(idOrName);
    if (!DELETABLE_STATES.includes(current.state)) {
      throw sessionsError(
        'sessions.not_deletable',
        `session ${current.name} is ${current.state}; only ${DELETABLE_STATES.join(', ')} sessions can be deleted`,
        {
          details: { sessionId: current.id, state: current.state },
          hint: `Close it first (\`sylk close ${current.name}\`).`,
        },
      );
    }
    this.db.raw
      .prepare('UPDATE sessions SET deleted_at = ?, updated_at = ? WHERE id = ?')
      .run(this.clock.now(), this.clock.now(), current.id);
    this.logs.remove(current.id);
  }

  /** The session's event log (opened on first use). */
  events(idOrName: string): EventLog {
    return this.logs.get(this.get(idOrName).id);
  }

  /**
   * Run once at daemon start, before serving: sessions a crashed daemon left mid-turn become
   * `idle` and `interrupted`, and their logs say so. Returns the sessions it changed.
   */
  async markInterruptedOnStartup(): Promise<SessionRecord[]> {
    const states = IN_TURN_STATES;
    const now = this.clock.now();
    const stranded = this.db.transaction(() => {
      const rows = this.db.raw
        .prepare<string[], Row>(
          `SELECT * FROM sessions WHERE state IN (${states.map(() => '?').join(', ')}) AND ${LIVE} ORDER BY created_at, id`,
        )
        .all(...states);
      const update = this.db.raw.prepare(
        "UPDATE sessions SET state = 'idle', interrupted = 1, updated_at = ? WHERE id = ?",
      );
      for (const row of rows) update.run(now, row.id);
      return rows;
    });
    await Promise.all(
      stranded.map((row) => {
        const log = this.logs.get(row.id);
        return Promise.all([
          log.append('turn_interrupted', { previousState: row.state, message: INTERRUPTED_MESSAGE }),
          log.append('state_changed', { from: row.state, to: 'idle', reason: 'daemon restarted' }),
        ]);
      }),
    );
    if (stranded.length > 0)
      this.logger.info({ sessions: stranded.map((r) => r.id) }, 'marked interrupted sessions idle');
    return stranded.map((row) => this.get(row.id));
  }

  /** Stops following event-log commits and writes pending activity. The database and logs belong to the caller. */
  close(): void {
    this.stopListening();
    this.flushActivity();
  }

  private recordActivity(id: string, lastSeq: number, ts: number): void {
    const pending = this.activity.get(id);
    if (pending === undefined) this.activity.set(id, { lastSeq, ts });
    else {
      pending.lastSeq = Math.max(pending.lastSeq, lastSeq);
      pending.ts = Math.max(pending.ts, ts);
    }
    if (this.activityTimer === undefined) {
      this.activityTimer = setTimeout(() => this.flushActivity(), ACTIVITY_FLUSH_MS);
      this.activityTimer.unref();
    }
  }

  /** Writes pending activity in one transaction. */
  flushActivity(): void {
    clearTimeout(this.activityTimer);
    this.activityTimer = undefined;
    if (this.activity.size === 0) return;
    const batch = [...this.activity];
    this.activity.clear();
    try {
      const update = this.db.raw.prepare(
        'UPDATE sessions SET last_seq = max(last_seq, ?), last_activity_at = max(last_activity_at, ?) WHERE id = ?',
      );
      this.db.transaction(() => {
        for (const [id, { lastSeq, ts }] of batch) update.run(lastSeq, ts, id);
      });
    } catch (err) {
      // Bookkeeping only: the event log is the truth, so a busy system.db must not fail appends.
      this.logger.warn(
        { sessions: batch.map(([id]) => id), err: errorMessage(err) },
        'could not record session activity',
      );
    }
  }

  private toRecord(row: Row): SessionRecord {
    const record = toRecord(row);
    const pending = this.activity.get(row.id);
    if (pending === undefined) return record;
    return {
      ...record,
      lastSeq: Math.max(record.lastSeq, pending.lastSeq),
      lastActivityAt: Math.max(record.lastActivityAt, pending.ts),
    };
  }

  private checkedName(name: string): string {
    const problem = nameProblem(name);
    if (problem !== undefined)
      throw sessionsError('sessions.invalid_name', `"${name}" is not a valid session name: ${problem}`);
    return name;
  }

  private nameInUse(name: string): boolean {
    return this.db.raw.prepare(`SELECT 1 FROM sessions WHERE name = ? AND ${LIVE}`).get(name) !== undefined;
  }

  private freeName(): string {
    let name = friendlyName(this.random);
    for (let i = 1; i < NAME_ATTEMPTS && this.nameInUse(name); i++) name = friendlyName(this.random);
    if (!this.nameInUse(name)) return name;
    let n = 2;
    while (this.nameInUse(`${name}-${n}`)) n++;
    return `${name}-${n}`;
  }

  private nameTakenOr(err: unknown, name: string): unknown {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') && this.nameInUse(name)) {
      return sessionsError('sessions.name_taken', `a session named "${name}" already exists`, {
        hint: 'Pick another name.',
      });
    }
    return mapSqliteError(err, this.db.path, `storing session "${name}"`);
  }
}

function toRecord(row: Row): SessionRecord {
  return {
    id: row.id,
    name: row.name,
    projectRoot: row.project_root,
    provider: row.provider,
    model: row.model,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastActivityAt: row.last_activity_at,
    budgetUsd: row.budget_usd,
    interrupted: row.interrupted === 1,
    lastSeq: row.last_seq,
  };
}
