import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { ErrorTier, SylkError, errorMessage, silentLogger, systemClock, type Clock, type Logger } from '@sylk/core';
import type { Migration } from './migrations.js';
import { mapSqliteError } from './errors.js';
import { applyMigrations, pendingMigrations, readUserVersion, validateMigrations } from './migrate.js';

export interface OpenDatabaseOptions {
  path: string;
  /** The database's full ordered schema history (versions 1, 2, 3, …). */
  migrations: readonly Migration[];
  /** Where copies are written before destructive migrations; without it they are refused. */
  backupDir?: string;
  logger?: Logger;
  clock?: Clock;
  /** How long a statement waits for another connection's lock. Default 30000. */
  busyTimeoutMs?: number;
  /** Page cache size in KiB; SQLite's default (2 MiB) when omitted. */
  cacheSizeKib?: number;
  /** Open an existing, already migrated file without writing to it. */
  readonly?: boolean;
}

/** One connection to a Sylk SQLite file, configured and migrated by {@link openDatabase}. */
export class SqliteDatabase {
  private closed = false;

  constructor(
    /** The better-sqlite3 handle, for queries. */
    readonly raw: Database,
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  schemaVersion(): number {
    return this.guard('reading schema version', () => readUserVersion(this.raw));
  }

  journalMode(): string {
    return this.guard('reading journal mode', () => String(this.raw.pragma('journal_mode', { simple: true })));
  }

  /** Problems SQLite reports; empty means the file is healthy. */
  integrityCheck(kind: 'quick' | 'full' = 'quick'): string[] {
    const pragma = kind === 'quick' ? 'quick_check' : 'integrity_check';
    try {
      const rows = this.raw.pragma(pragma) as Record<string, unknown>[];
      return rows.map((row) => String(Object.values(row)[0])).filter((line) => line !== 'ok');
    } catch (err) {
      const mapped = mapSqliteError(err, this.path, 'integrity check');
      // Damage bad enough to abort the check is itself the answer.
      if (mapped.code === 'storage.corrupt') return [errorMessage(err)];
      throw mapped;
    }
  }

  /** Online backup to `target` (SQLite backup API); readers and writers carry on meanwhile. */
  async backupTo(target: string): Promise<void> {
    try {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      await this.raw.backup(target);
      chmodSync(target, 0o600);
    } catch (err) {
      throw mapSqliteError(err, target, `backup of ${this.path} failed`);
    }
  }

  /** Copies the WAL into the main file and truncates it. */
  checkpoint(): void {
    if (this.raw.readonly) return;
    this.guard('checkpoint', () => {
      const [result] = this.raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy) this.logger.debug({ path: this.path }, 'checkpoint incomplete: readers still active');
    });
  }

  /** Checkpoints and closes; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.checkpoint();
    } catch (err) {
      this.logger.warn({ path: this.path, err: errorMessage(err) }, 'checkpoint before close failed');
    }
    this.raw.close();
  }

  /**
   * Runs `fn` in a transaction (IMMEDIATE on writable connections, so a busy database fails
   * up front instead of at the first write). Nested calls become savepoints.
   */
  transaction<T>(fn: () => T): T {
    return this.transactional(fn)();
  }

  /**
   * `fn` made transactional once, for a hot path that commits often (wrapping costs more
   * than a small commit): each call runs it as {@link transaction} does.
   */
  transactional<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    const tx = this.raw.transaction(fn);
    const run = this.raw.readonly ? tx : tx.immediate;
    return (...args: A) => this.guard('transaction', () => run(...args));
  }

  private guard<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      // Errors thrown by the caller's own code are theirs; only SQLite's get translated.
      if (err instanceof BetterSqlite3.SqliteError) throw mapSqliteError(err, this.path, action);
      throw err;
    }
  }
}

/** Opens (creating if needed), configures and migrates a SQLite file. */
export function openDatabase(options: OpenDatabaseOptions): SqliteDatabase {
  validateMigrations(options.migrations);
  const { path } = options;
  const logger = options.logger ?? silentLogger();
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? 30_000;

  let raw: Database | undefined;
  try {
    const existed = existsSync(path);
    if (!readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    raw = new BetterSqlite3(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    // The first statement reads the header: a non-database file fails here with SQLITE_NOTADB.
    raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    readUserVersion(raw);
    if (!readonly) {
      if (!existed) chmodSync(path, 0o600);
      raw.pragma('journal_mode = WAL');
    }
    raw.pragma('foreign_keys = ON');
    raw.pragma('synchronous = NORMAL');
    if (options.cacheSizeKib !== undefined) raw.pragma(`cache_size = -${Math.floor(options.cacheSizeKib)}`);

    const ctx = {
      db: raw,
      path,
      migrations: options.migrations,
      backupDir: options.backupDir,
      logger,
      clock: options.clock ?? systemClock,
    };
    if (readonly) refuseOutdated(path, pendingMigrations(ctx));
    else applyMigrations(ctx);
    return new SqliteDatabase(raw, path, logger);
  } catch (err) {
    try {
      raw?.close();
    } catch {
      // Already failing; the original error is the useful one.
    }
    throw mapSqliteError(err, path, 'opening database');
  }
}

function refuseOutdated(path: string, pending: readonly Migration[]): void {
  if (pending.length === 0) return;
  throw new SylkError(`database ${path} needs ${pending.length} migration(s) and was opened read-only`, {
    tier: ErrorTier.UserFixable,
    code: 'storage.schema_outdated',
    hint: 'Start sylkd (or open it read-write once) so it can migrate.',
    details: { path },
  });
}
