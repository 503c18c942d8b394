import { errorMessage, isSylkError, redactJson, silentLogger, systemClock, type Clock, type Logger } from '@sylk/core';
import { openDatabase, type Migration, type SqliteDatabase } from '@sylk/storage';
import type { Statement } from 'better-sqlite3';
import { sessionsError } from './errors.js';
import {
  ENTRY_OVERHEAD_BYTES,
  isEventKind,
  storedEvent,
  type Entry,
  type EventData,
  type EventKind,
  type SessionEvent,
} from './events.js';
import type { Checkpointer } from './checkpointer.js';
import { Subscription, type SubscribeOptions, type SubscriptionSource } from './subscription.js';

/** Schema of a session's `events.db`. */
const EVENT_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    up: (db) =>
      db.exec(
        'CREATE TABLE events (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL) STRICT',
      ),
  },
];

/** After a group commit: the last seq and its time, how many events it held, how long the commit took (ms). */
type CommitHook = (lastSeq: number, ts: number, events: number, commitMs: number) => void;

export interface EventLogOptions {
  path: string;
  clock?: Clock;
  logger?: Logger;
  /**
   * `normal` (default): a committed event survives the process being killed (WAL, no fsync per
   * commit). `full`: it also survives power loss, at one fsync per group commit.
   */
  syncMode?: 'normal' | 'full';
  /** Told after each group commit, e.g. to record activity in the registry. Must not throw. */
  onCommit?: CommitHook;
  /** Runs WAL checkpoints off the main thread; without it SQLite checkpoints inline. */
  checkpointer?: Checkpointer;
  /** Bytes appended between two background checkpoints. Default 4 MiB. */
  checkpointBytes?: number;
  /** Told when a commit fails because the disk is full (EventLogs frees its reserve). */
  onDiskFull?: () => void;
  /**
   * Applied to every event's encoded data before it is stored or seen (the daemon's known-secret
   * redaction, `SecretValues.redact`): the one place every event passes through.
   */
  redact?: (text: string) => string;
}

interface PendingAppend {
  entry: Entry;
  json: string;
  /** Absent for {@link EventLog.post}. */
  resolve: ((event: SessionEvent) => void) | undefined;
  reject: (err: unknown) => void;
}

type Row = [seq: number, ts: number, kind: EventKind, data: string];

/** The open SQLite file of a log and its prepared statements; a sleeping log has none. */
interface LogFile {
  db: SqliteDatabase;
  commit: (batch: readonly PendingAppend[]) => void;
  select: Statement<[number, number, number], Row>;
}

const INSERT = 'INSERT INTO events (seq, ts, kind, data) VALUES';
const ROWS_PER_INSERT = 16;

/**
 * Appends committed in one group at most. The group normally ends with the tick; a producer
 * that keeps the loop busy (many appends in one run of microtasks) still gets its events
 * committed and broadcast in bounded batches instead of one that overflows every subscriber.
 * @internal exported for tests
 */
export const MAX_GROUP_COMMIT = 512;

/**
 * One session's append-only event log. Appends made in the same tick are committed in one
 * transaction (group commit); only then are their promises resolved and the events handed to
 * subscribers, in seq order. Single writer: one EventLog per file per process.
 */
export class EventLog implements SubscriptionSource {
  private handle: LogFile | undefined;
  private readonly dbPath: string;
  private readonly syncMode: EventLogOptions['syncMode'];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly onCommit: CommitHook | undefined;
  private readonly onDiskFull: (() => void) | undefined;
  private readonly redact: ((text: string) => string) | undefined;
  private readonly subscribers = new Set<Subscription>();
  private pending: PendingAppend[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private committedSeq: number;
  private nextSeq: number;
  private isClosed = false;
  private lastUsed: number;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly checkpointBytes: number;
  private bytesSinceCheckpoint = 0;

  constructor(options: EventLogOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.onCommit = options.onCommit;
    this.onDiskFull = options.onDiskFull;
    this.redact = options.redact;
    this.syncMode = options.syncMode;
    this.checkpointer = options.checkpointer;
    this.checkpointBytes = options.checkpointBytes ?? 4 * 1024 * 1024;
    this.dbPath = options.path;
    const file = this.openFile();
    this.handle = file;
    this.committedSeq = (file.db.raw.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number) ?? 0;
    this.nextSeq = this.committedSeq + 1;
    this.lastUsed = this.clock.now();
  }

  private openFile(): LogFile {
    const db = openDatabase({
      path: this.dbPath,
      migrations: EVENT_LOG_MIGRATIONS,
      logger: this.logger,
      clock: this.clock,
    });
    if (this.syncMode === 'full') db.raw.pragma('synchronous = FULL');
    if (this.checkpointer !== undefined) db.raw.pragma('wal_autocheckpoint = 0');
    const insertOne = db.raw.prepare<[number, number, string, string]>(`${INSERT} (?, ?, ?, ?)`);
    // Rows in groups of ROWS_PER_INSERT: one statement step per group costs less CPU per row.
    const insertMany = db.raw.prepare<unknown[]>(
      `${INSERT} ${Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?)').join(', ')}`,
    );
    const params = new Array<unknown>(ROWS_PER_INSERT * 4);
    const commit = db.transactional((batch: readonly PendingAppend[]) => {
      let i = 0;
      for (; i + ROWS_PER_INSERT <= batch.length; i += ROWS_PER_INSERT) {
        for (let j = 0; j < ROWS_PER_INSERT; j++) {
          const { entry, json } = batch[i + j] as PendingAppend;
          params[4 * j] = entry.event.seq;
          params[4 * j + 1] = entry.event.ts;
          params[4 * j + 2] = entry.event.kind;
          params[4 * j + 3] = json;
        }
        insertMany.run(params);
      }
      for (; i < batch.length; i++) {
        const { entry, json } = batch[i] as PendingAppend;
        insertOne.run(entry.event.seq, entry.event.ts, entry.event.kind, json);
      }
    });
    const select = db.raw
      .prepare<[number, number, number], Row>(
        'SELECT seq, ts, kind, data FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?',
      )
      .raw();
    return { db, commit, select };
  }

  /** The open file, reopened if the log was asleep. */
  private get file(): LogFile {
    if (this.isClosed) throw sessionsError('sessions.log_closed', `event log ${this.path} is closed`);
    this.handle ??= this.openFile();
    return this.handle;
  }

  get path(): string {
    return this.dbPath;
  }

  /** The file is closed until the next append, read or subscription (see {@link sleepIfIdle}). */
  get asleep(): boolean {
    return this.handle === undefined && !this.isClosed;
  }

  /**
   * Closes the file (not the log) when nothing used it for `idleMs` and nobody is subscribed:
   * a session that has gone quiet keeps no descriptors or page cache. True if it went to sleep.
   */
  sleepIfIdle(idleMs: number): boolean {
    const file = this.handle;
    if (file === undefined || this.subscribers.size > 0 || this.pending.length > 0) return false;
    if (this.clock.now() - this.lastUsed < idleMs) return false;
    this.handle = undefined;
    this.bytesSinceCheckpoint = 0; // closing checkpoints
    file.db.close();
    this.checkpointer?.forget(this.dbPath);
    return true;
  }

  /** Last committed (and broadcast) seq; 0 for an empty log. */
  get lastSeq(): number {
    return this.committedSeq;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The attached readers now (memory pressure sheds the largest buffers). */
  subscriptions(): Subscription[] {
    return [...this.subscribers];
  }

  /** Live subscribers. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Assigns the next seq; resolves once the event is committed, before subscribers see it. */
  append(kind: EventKind, data: EventData): Promise<SessionEvent> {
    return new Promise<SessionEvent>((resolve, reject) => this.enqueue(kind, data, resolve, reject));
  }

  /**
   * {@link append} for a producer that does not wait on each event (a reply's deltas, tens of
   * thousands a turn): no promise per event, and a failure to encode or commit goes to `onError`.
   */
  post(kind: EventKind, data: EventData, onError: (err: unknown) => void): void {
    this.enqueue(kind, data, undefined, onError);
  }

  private enqueue(
    kind: EventKind,
    data: EventData,
    resolve: PendingAppend['resolve'],
    reject: PendingAppend['reject'],
  ): void {
    if (this.isClosed) return reject(sessionsError('sessions.log_closed', `event log ${this.path} is closed`));
    let json: string;
    try {
      json = encode(kind, data);
      if (this.redact !== undefined) json = redactJson(json, this.redact);
    } catch (err) {
      return reject(err);
    }
    // Subscribers read the encoded copy, so a caller reusing `data` cannot change what they see.
    const ts = this.clock.now();
    this.lastUsed = ts;
    const event = storedEvent(this.nextSeq++, ts, kind, json);
    this.pending.push({ entry: { event, bytes: json.length + ENTRY_OVERHEAD_BYTES }, json, resolve, reject });
    if (this.pending.length >= MAX_GROUP_COMMIT) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Commits whatever is pending now instead of at the end of the tick. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const started = this.clock.monotonic();
    try {
      this.file.commit(batch);
    } catch (err) {
      // Nothing of the batch was committed or seen, so its seqs are reused: still no gap.
      this.nextSeq = this.committedSeq + 1;
      const failure = commitError(err, this.path);
      if (isSylkError(failure) && failure.code === 'storage.disk_full') this.onDiskFull?.();
      for (const p of batch) p.reject(failure);
      return;
    }
    const entries = batch.map((p) => p.entry);
    const last = entries[entries.length - 1] as Entry;
    this.committedSeq = last.event.seq;
    for (const sub of this.subscribers) sub.offer(entries);
    for (const p of batch) p.resolve?.(p.entry.event);
    this.notifyCommit(last.event, batch.length, this.clock.monotonic() - started);
    for (const p of batch) this.bytesSinceCheckpoint += p.json.length;
    if (this.bytesSinceCheckpoint >= this.checkpointBytes) this.checkpointSoon();
  }

  /** Committed events from `fromSeq` on, at most `limit`. */
  read(fromSeq: number, limit = 1000): SessionEvent[] {
    return this.readEntries(fromSeq, limit).map((e) => e.event);
  }

  /**
   * Every committed event from `fromSeq` to `toSeq`, page by page; without `toSeq`, until it
   * reaches the end of the log (which a live session keeps moving).
   */
  async *replay(fromSeq = 1, pageSize = 1000, toSeq = Infinity): AsyncGenerator<SessionEvent, void, undefined> {
    let next = Math.max(1, fromSeq);
    while (!this.isClosed && next <= toSeq) {
      const page = this.read(next, Math.min(pageSize, toSeq - next + 1));
      if (page.length === 0) return;
      for (const event of page) yield event;
      next = (page[page.length - 1] as SessionEvent).seq + 1;
    }
  }

  /** Replays from `fromSeq`, then continues live; see {@link Subscription}. */
  subscribe(fromSeq = 1, options: SubscribeOptions = {}): Subscription {
    this.lastUsed = this.clock.now();
    const sub = new Subscription(this, fromSeq, options);
    if (!this.isClosed) this.subscribers.add(sub);
    return sub;
  }

  /** @internal used by subscriptions to read while catching up. */
  readEntries(fromSeq: number, limit: number): Entry[] {
    if (this.isClosed) return [];
    this.lastUsed = this.clock.now();
    const rows = this.file.select.all(Math.max(1, fromSeq), this.committedSeq, Math.max(0, limit));
    return rows.map(([seq, ts, kind, data]) => ({
      event: storedEvent(seq, ts, kind, data),
      bytes: data.length + ENTRY_OVERHEAD_BYTES,
    }));
  }

  /** @internal */
  detach(sub: Subscription): void {
    this.subscribers.delete(sub);
  }

  /** Commits pending appends, ends subscribers (after what they hold) and closes the file. */
  close(): void {
    if (this.isClosed) return;
    this.flush();
    this.isClosed = true;
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const sub of subs) sub.sourceClosed();
    this.handle?.db.close();
    this.handle = undefined;
    this.checkpointer?.forget(this.path);
  }

  private checkpointSoon(): void {
    const checkpointer = this.checkpointer;
    if (checkpointer === undefined) return; // SQLite's automatic checkpoint is on
    this.bytesSinceCheckpoint = 0;
    if (checkpointer.healthy) {
      checkpointer.request(this.path);
      return;
    }
    try {
      this.file.db.raw.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      this.logger.warn({ path: this.path, err: errorMessage(err) }, 'checkpoint failed');
    }
  }

  private notifyCommit(last: SessionEvent, events: number, commitMs: number): void {
    if (this.onCommit === undefined) return;
    try {
      this.onCommit(last.seq, last.ts, events, commitMs);
    } catch (err) {
      this.logger.warn({ path: this.path, err: errorMessage(err) }, 'event log commit listener failed');
    }
  }
}

function encode(kind: string, data: EventData): string {
  if (!isEventKind(kind)) throw sessionsError('sessions.invalid_event', `unknown event kind "${kind}"`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw sessionsError('sessions.invalid_event', `event data for "${kind}" must be a JSON object`);
  }
  try {
    return JSON.stringify(data);
  } catch (err) {
    throw sessionsError(
      'sessions.invalid_event',
      `event data for "${kind}" is not serialisable as JSON: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

function commitError(err: unknown, path: string): unknown {
  const sqliteCode = isSylkError(err) ? err.details['sqliteCode'] : undefined;
  if (typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_CONSTRAINT')) {
    return sessionsError('sessions.log_conflict', `event log ${path} already holds these seqs`, {
      cause: err,
      hint: 'Another process is writing this session’s event log; only the daemon may append to it.',
    });
  }
  return err;
}
