import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, silentLogger, systemClock, type Clock, type Logger } from '@sylk/core';
import { sessionsError } from './errors.js';
import { Checkpointer } from './checkpointer.js';
import { EventLog, type EventLogOptions } from './event-log.js';
import { DiskReserve } from './disk-reserve.js';
import type { Subscription } from './subscription.js';

export interface EventLogsOptions {
  /** Sylk's data directory; logs live in `{dataDir}/sessions/<id>/events.db`. */
  dataDir: string;
  clock?: Clock;
  logger?: Logger;
  syncMode?: EventLogOptions['syncMode'];
  /** Checkpoint WALs in a worker thread (default true); see Checkpointer. */
  backgroundCheckpoints?: boolean;
  checkpointBytes?: number;
  /**
   * A log nobody has used (appended, read, subscribed) for this long closes its file until its
   * next use: sessions stay loaded for the daemon's life, their descriptors and page caches need
   * not. Default 5 minutes; 0 keeps files open.
   */
  idleCloseMs?: number;
  /** Bytes held back to record a full disk (see DiskReserve); 0 = none. Default 4 MiB. */
  diskReserveBytes?: number;
  /** Every log's event redaction (see EventLogOptions.redact). */
  redact?: (text: string) => string;
  /** Called with a log's path before it first opens in this process (the daemon's integrity check). */
  beforeOpen?: (path: string) => void;
}

const DEFAULT_IDLE_CLOSE_MS = 5 * 60_000;

/** After a group commit: the session, its last seq and time, how many events the commit held and how long it took (ms). */
export type CommitListener = (sessionId: string, lastSeq: number, ts: number, events: number, commitMs: number) => void;

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The open event logs of this process, one per session, opened on first use. */
export class EventLogs {
  private readonly open = new Map<string, EventLog>();
  private readonly listeners = new Set<CommitListener>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly idleCloseMs: number;
  private readonly sleepTimer: NodeJS.Timeout | undefined;
  private readonly reserve: DiskReserve | undefined;

  constructor(private readonly options: EventLogsOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    if (options.backgroundCheckpoints !== false) this.checkpointer = new Checkpointer(this.logger);
    this.idleCloseMs = options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    if (options.diskReserveBytes !== 0) {
      mkdirSync(join(options.dataDir, 'sessions'), { recursive: true, mode: 0o700 });
      this.reserve = new DiskReserve({
        path: join(options.dataDir, 'sessions', '.disk-reserve'),
        bytes: options.diskReserveBytes,
        clock: this.clock,
        logger: this.logger,
      });
      this.reserve.ensure();
    }
    if (this.idleCloseMs > 0)
      this.sleepTimer = setInterval(() => this.sleepIdle(), Math.min(60_000, this.idleCloseMs)).unref();
  }

  /** Closes the files of logs idle for `idleCloseMs` (they reopen on use); returns how many. */
  sleepIdle(): number {
    if (this.idleCloseMs <= 0) return 0;
    let slept = 0;
    for (const [id, log] of this.open) {
      try {
        if (log.sleepIfIdle(this.idleCloseMs)) slept++;
      } catch (err) {
        this.logger.warn({ session: id, err: errorMessage(err) }, 'could not close an idle event log');
      }
    }
    if (slept > 0) this.logger.debug({ slept }, 'idle event logs closed');
    return slept;
  }

  dirFor(sessionId: string): string {
    // The id becomes a path component: refuse anything that could leave the sessions directory.
    if (!SESSION_ID.test(sessionId)) throw sessionsError('sessions.not_found', `"${sessionId}" is not a session id`);
    return join(this.options.dataDir, 'sessions', sessionId);
  }

  /** The session's log, opening (and creating) it if needed. */
  get(sessionId: string): EventLog {
    const existing = this.open.get(sessionId);
    if (existing !== undefined) return existing;
    const path = join(this.dirFor(sessionId), 'events.db');
    this.options.beforeOpen?.(path);
    const log = new EventLog({
      path,
      clock: this.clock,
      logger: this.logger,
      ...(this.options.syncMode === undefined ? {} : { syncMode: this.options.syncMode }),
      ...(this.checkpointer === undefined ? {} : { checkpointer: this.checkpointer }),
      ...(this.options.checkpointBytes === undefined ? {} : { checkpointBytes: this.options.checkpointBytes }),
      onCommit: (lastSeq, ts, events, commitMs) => {
        for (const listener of this.listeners) listener(sessionId, lastSeq, ts, events, commitMs);
        this.reserve?.ensure(); // rate-limited: a no-op unless it was released a while ago
      },
      onDiskFull: () => this.reserve?.release(),
      ...(this.options.redact === undefined ? {} : { redact: this.options.redact }),
    });
    this.open.set(sessionId, log);
    return log;
  }

  /** Every attached reader of every open log. */
  subscriptions(): Subscription[] {
    return [...this.open.values()].flatMap((log) => log.subscriptions());
  }

  isOpen(sessionId: string): boolean {
    return this.open.has(sessionId);
  }

  /** Flushes and closes one log (e.g. to unload an idle session); the next get() reopens it. */
  unload(sessionId: string): void {
    const log = this.open.get(sessionId);
    if (log === undefined) return;
    this.open.delete(sessionId);
    log.close();
  }

  /** Closes the log and deletes the session's directory. */
  remove(sessionId: string): void {
    const dir = this.dirFor(sessionId);
    this.unload(sessionId);
    rmSync(dir, { recursive: true, force: true });
  }

  /** Resolves when no background checkpoint is running (for tests and shutdown). */
  whenCheckpointsIdle(): Promise<void> {
    return this.checkpointer?.whenIdle() ?? Promise.resolve();
  }

  /** Flushes and closes every log, then stops the checkpoint worker. */
  async close(): Promise<void> {
    clearInterval(this.sleepTimer);
    for (const id of [...this.open.keys()]) this.unload(id);
    await this.checkpointer?.close();
  }

  /** Called after every group commit of any log; returns an unsubscribe function. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
