import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ErrorTier, SylkError, errorMessage, type Clock, type Logger } from '@sylk/core';
import type { ConfigStore, SylkDirs } from '@sylk/config';
import {
  backupDatabaseFile,
  checkDatabaseFile,
  checkFilesInWorker,
  listBackups,
  onCorruptionError,
  restoreDatabaseFile,
  restoreNewestGoodBackup,
  type BackupInfo,
  type CheckKind,
} from '@sylk/storage';

/** One database sylkd keeps: `system.db` or a session's `events.db`. */
export interface ManagedDatabase {
  /** `system` or `session <id>`. */
  name: string;
  path: string;
  backupDir: string;
  sessionId?: string;
}

export interface DatabaseCheckResult {
  database: ManagedDatabase;
  problems: string[];
  /** What was done about it: '' (healthy), `restored <backup>`, or why nothing could be. */
  action: string;
}

export interface StorageGuardOptions {
  dirs: SylkDirs;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
  /**
   * How long after start() the session logs' start-up check begins. Default 5 s: it is a few
   * hundred ms of CPU with many sessions, and the first task after a start must not share the
   * machine with it. A log opened before it has come back is checked as it opens.
   */
  sessionCheckDelayMs?: number;
}

/** Told about each session whose log is damaged or was restored, to write a notice into it. */
export type SessionNotifier = (sessionId: string, message: string) => Promise<void>;

const PENDING_SUFFIX = '.restore-pending';

/** system.db and every session log on disk. */
function managedDatabases(dirs: SylkDirs): ManagedDatabase[] {
  const { data, backups } = dirs;
  const list: ManagedDatabase[] = [
    { name: 'system', path: join(data, 'system.db'), backupDir: join(backups, 'system') },
  ];
  const sessionsDir = join(data, 'sessions');
  if (existsSync(sessionsDir)) {
    for (const id of readdirSync(sessionsDir).sort()) {
      const path = join(sessionsDir, id, 'events.db');
      if (existsSync(path))
        list.push({ name: `session ${id}`, path, backupDir: join(backups, 'sessions', id), sessionId: id });
    }
  }
  return list;
}

/**
 * The integrity check of the start-up: system.db's, under way in a worker thread (problems by
 * path, none: healthy), and the session logs to check once the daemon serves.
 */
export interface StartChecks {
  databases: ManagedDatabase[];
  /** system.db, checked in full: the daemon opens it only once this is in. */
  system: Promise<Map<string, string[]>>;
}

function checkDatabases(dirs: SylkDirs): StartChecks {
  const databases = managedDatabases(dirs).filter((db) => existsSync(db.path));
  // system.db gets the full check now. The session logs (possibly hundreds) are checked once the
  // daemon serves (StorageGuard.start), a log opened before that as it opens (beforeOpen).
  const system = checkFilesInWorker(
    databases.filter((db) => db.sessionId === undefined).map((db) => db.path),
    'full',
  );
  // Awaited later; a start that fails before then must not crash on the rejection.
  system.catch(() => undefined);
  return { databases, system };
}

/**
 * Begins {@link StorageGuard.checkAtStart}'s checks before the daemon has loaded its code, config
 * and log, so the worker threads run meanwhile. The checks only read. Undefined when a restore
 * staged with `sylk restore` waits to be applied first (checkAtStart then does both).
 */
export function startIntegrityChecks(dirs: SylkDirs): StartChecks | undefined {
  const pending = managedDatabases(dirs).some((db) => existsSync(`${db.path}${PENDING_SUFFIX}`));
  return pending ? undefined : checkDatabases(dirs);
}

/**
 * Backups and integrity of sylkd's SQLite files (docs/operations.md): a full check at start with
 * automatic restore of the newest good backup, periodic online backups and quick checks (in a
 * worker thread, so the event loop never waits on them), a check after any SQLITE_CORRUPT /
 * NOTADB error, and user backups/restores. Restores only ever replace files nothing has open:
 * at start, or staged by {@link stageRestore} and applied by the next start.
 */
export class StorageGuard {
  private lastBackupAt = 0;
  private lastCheckAt = 0;
  private readonly problems = new Map<string, string[]>();
  private readonly restores: string[] = [];
  /** Backups and checks run one at a time (a queue of concurrency 1). */
  private queue: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private notify: SessionNotifier | undefined;
  private corruptionCheckQueued = false;
  /** Session logs whose start-up check has not come back yet, by path. */
  private readonly unchecked = new Map<string, ManagedDatabase>();
  /** Sessions restored before start() could tell them. */
  private untold: DatabaseCheckResult[] = [];
  private sessionChecks: Promise<void> = Promise.resolve();

  constructor(private readonly opts: StorageGuardOptions) {}

  /** system.db and every session log on disk. */
  databases(): ManagedDatabase[] {
    return managedDatabases(this.opts.dirs);
  }

  /**
   * Before any database is opened: applies staged restores, then checks every file (system.db
   * fully, session logs quickly) and restores the newest good backup of each damaged one.
   * Resolves once system.db is checked (and restored if need be); the session logs are checked
   * after start(), each one settled before its log first opens ({@link beforeOpen}).
   * `started`: the same checks begun earlier by {@link startIntegrityChecks}.
   */
  async checkAtStart(started?: StartChecks): Promise<DatabaseCheckResult[]> {
    let checks = started;
    if (checks === undefined) {
      for (const db of this.databases()) this.applyPendingRestore(db);
      checks = checkDatabases(this.opts.dirs);
    }
    for (const db of checks.databases) if (db.sessionId !== undefined) this.unchecked.set(db.path, db);
    const found = await checks.system;
    this.lastCheckAt = this.opts.clock.now();
    return checks.databases
      .filter((db) => db.sessionId === undefined)
      .flatMap((db) => this.settleAtStart(db, found.get(db.path) ?? []));
  }

  /**
   * Called before a session log opens for the first time in this process (it must not be open
   * anywhere): a log whose start-up check has not come back is checked now, quickly, and a
   * damaged one is replaced by its newest good backup before it opens.
   */
  beforeOpen(path: string): void {
    const db = this.unchecked.get(path);
    if (db === undefined) return;
    this.unchecked.delete(path);
    let problems: string[];
    try {
      problems = checkDatabaseFile(path, 'quick');
    } catch (err) {
      problems = [errorMessage(err)];
    }
    // Told once the log is open (the notice is written into it).
    const restored = this.settleAtStart(db, problems);
    if (restored.length > 0) setImmediate(() => this.tellRestored(restored));
  }

  /** Resolves when the start-up checks of the session logs have come back and been acted on. */
  sessionLogsChecked(): Promise<void> {
    return this.sessionChecks;
  }

  private checkSessionLogs(): Promise<void> {
    for (const path of this.unchecked.keys()) if (!existsSync(path)) this.unchecked.delete(path);
    return this.serial(() =>
      checkFilesInWorker([...this.unchecked.keys()], 'quick').then(
        (found) => this.sessionsChecked(found),
        (err: unknown) => {
          // The logs not opened yet are then checked as they open.
          this.opts.logger.error({ err: errorMessage(err) }, 'the start-up check of the session logs failed');
        },
      ),
    );
  }

  private sessionsChecked(found: Map<string, string[]>): void {
    const restored: DatabaseCheckResult[] = [];
    for (const [path, db] of this.unchecked) {
      // Still unopened (beforeOpen takes what it checks off the list), so replacing it is safe.
      const problems = found.get(path);
      if (problems === undefined) continue;
      this.unchecked.delete(path);
      // A session removed meanwhile (`sylk rm`) is not brought back from its backup.
      if (existsSync(path)) restored.push(...this.settleAtStart(db, problems));
    }
    this.tellRestored(restored);
  }

  /** A database's start-up finding: nothing when healthy, else the newest good backup restored. */
  private settleAtStart(db: ManagedDatabase, problems: string[]): DatabaseCheckResult[] {
    if (problems.length === 0) return [];
    this.opts.logger.error(
      { database: db.name, path: db.path, problems: problems.slice(0, 5) },
      'database failed its integrity check at start',
    );
    return [{ database: db, problems, action: this.restoreAtStart(db) }];
  }

  private tellRestored(results: readonly DatabaseCheckResult[]): void {
    if (this.notify === undefined) {
      this.untold.push(...results);
      return;
    }
    for (const r of results) {
      if (r.database.sessionId !== undefined)
        void this.tell(r.database.sessionId, `The session log failed its integrity check at start: ${r.action}.`);
    }
  }

  private restoreAtStart(db: ManagedDatabase): string {
    try {
      const backup = restoreNewestGoodBackup(db.path, db.backupDir);
      if (backup === undefined) {
        this.problems.set(db.name, [`damaged and no good backup in ${db.backupDir}`]);
        return 'no good backup to restore';
      }
      const note =
        `${db.name} was damaged and restored from backup ${basename(backup.path)} ` +
        `(taken ${new Date(backup.createdAt).toISOString()}); ` +
        `changes since then are lost; ` +
        `the damaged file is kept as ${basename(db.path)}.corrupt`;
      this.restores.push(note);
      this.opts.logger.warn({ database: db.name, backup: backup.path }, 'restored damaged database from backup');
      return `restored ${basename(backup.path)}`;
    } catch (err) {
      this.problems.set(db.name, [`damaged; restore failed: ${errorMessage(err)}`]);
      this.opts.logger.error({ database: db.name, err: errorMessage(err) }, 'could not restore damaged database');
      return `restore failed: ${errorMessage(err)}`;
    }
  }

  private applyPendingRestore(db: ManagedDatabase): void {
    const pending = `${db.path}${PENDING_SUFFIX}`;
    if (!existsSync(pending)) return;
    try {
      restoreDatabaseFile(db.path, pending);
      this.restores.push(`${db.name} restored from a backup chosen with \`sylk restore\``);
      this.opts.logger.warn({ database: db.name }, 'applied staged restore');
    } catch (err) {
      this.problems.set(db.name, [`staged restore failed: ${errorMessage(err)}`]);
      this.opts.logger.error(
        { database: db.name, err: errorMessage(err) },
        'staged restore failed; the database was left as it was',
      );
    } finally {
      rmSync(pending, { force: true });
    }
  }

  /** Once the daemon serves: notices for sessions restored at start, timers, the corruption hook. */
  start(notify: SessionNotifier, restoredAtStart: readonly DatabaseCheckResult[]): void {
    this.notify = notify;
    const untold = this.untold;
    this.untold = [];
    this.tellRestored([...restoredAtStart, ...untold]);
    const daemon = this.opts.config.current().config.daemon;
    const backupMs = daemon.backup_interval_hours * 3_600_000;
    const checkMs = daemon.integrity_check_minutes * 60_000;
    if (backupMs > 0)
      this.every(Math.min(backupMs, 3_600_000), () => {
        if (this.opts.clock.now() - this.lastBackupAt >= backupMs) void this.backupNow(true).catch(this.logFailure);
      });
    if (checkMs > 0) this.every(checkMs, () => void this.check('quick').catch(this.logFailure));
    // system.db had its full check at start; the session logs get the quick one, then the full one.
    this.sessionChecks = new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(this.checkSessionLogs()), this.opts.sessionCheckDelayMs ?? 5_000);
      timer.unref();
      this.timers.push(timer);
    });
    void this.sessionChecks.then(() => this.check('full', (db) => db.sessionId !== undefined)).catch(this.logFailure);
    // The cadence survives restarts: it counts from the newest backup on disk.
    this.lastBackupAt =
      listBackups(join(this.opts.dirs.data, 'system.db'), join(this.opts.dirs.backups, 'system'))[0]?.createdAt ?? 0;
    // No backup yet (a fresh install, or the first start after an upgrade): take one now.
    if (backupMs > 0 && this.lastBackupAt === 0) void this.backupNow(true).catch(this.logFailure);
    this.unsubscribe = onCorruptionError((path) => {
      this.opts.logger.error({ path }, 'SQLite reported corruption; checking the databases');
      if (this.corruptionCheckQueued) return;
      this.corruptionCheckQueued = true;
      setImmediate(() => {
        this.corruptionCheckQueued = false;
        void this.check('quick').catch(this.logFailure);
      });
    });
  }

  private readonly logFailure = (err: unknown): void => {
    this.opts.logger.error({ err: errorMessage(err) }, 'scheduled backup or integrity check failed');
  };

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Online backup of every database (sessions whose log has not changed since its newest backup
   * are skipped when `onlyChanged`); returns what was written.
   */
  backupNow(onlyChanged = false): Promise<{ database: ManagedDatabase; backup: BackupInfo }[]> {
    return this.serial(async () => {
      const keep = this.opts.config.current().config.daemon.backups_kept;
      const written: { database: ManagedDatabase; backup: BackupInfo }[] = [];
      for (const db of this.databases()) {
        if (!existsSync(db.path)) continue;
        if (onlyChanged && db.sessionId !== undefined && !changedSinceBackup(db)) continue;
        try {
          written.push({
            database: db,
            backup: await backupDatabaseFile(db.path, db.backupDir, this.opts.clock, keep),
          });
        } catch (err) {
          this.opts.logger.error({ database: db.name, err: errorMessage(err) }, 'backup failed');
          if (db.sessionId === undefined) throw err;
        }
      }
      this.lastBackupAt = this.opts.clock.now();
      this.opts.logger.info({ count: written.length }, 'databases backed up');
      return written;
    });
  }

  /** Checks the databases (all, or those `which` picks) in a worker thread; damage is logged, shown in status and told to its session. */
  check(kind: CheckKind, which: (db: ManagedDatabase) => boolean = () => true): Promise<DatabaseCheckResult[]> {
    return this.serial(async () => {
      const dbs = this.databases().filter(which);
      const found = await checkFilesInWorker(
        dbs.map((db) => db.path),
        kind,
      );
      this.lastCheckAt = this.opts.clock.now();
      const results: DatabaseCheckResult[] = [];
      for (const db of dbs) {
        const problems = found.get(db.path) ?? [];
        const known = this.problems.has(db.name);
        if (problems.length === 0) {
          this.problems.delete(db.name);
          results.push({ database: db, problems, action: '' });
          continue;
        }
        this.problems.set(db.name, problems);
        const action =
          listBackups(db.path, db.backupDir).length > 0
            ? 'restart sylkd (`sylk daemon restart`): it restores the newest good backup at start'
            : 'no backup to restore';
        results.push({ database: db, problems, action });
        if (known) continue;
        this.opts.logger.error(
          { database: db.name, path: db.path, problems: problems.slice(0, 5) },
          'database failed its integrity check',
        );
        if (db.sessionId !== undefined)
          void this.tell(db.sessionId, `The session log failed an integrity check (${problems[0] ?? ''}); ${action}.`);
      }
      return results;
    });
  }

  /** The backups of every database, newest first. */
  backups(): { database: ManagedDatabase; backup: BackupInfo }[] {
    return this.databases().flatMap((database) =>
      listBackups(database.path, database.backupDir).map((backup) => ({ database, backup })),
    );
  }

  /**
   * Validates `backupPath` (a file under {backups}) and stages it: the next start replaces the
   * database with it, before anything opens the file. The caller then restarts the daemon.
   */
  async stageRestore(backupPath: string): Promise<ManagedDatabase> {
    const full = resolve(backupPath);
    const rel = relative(this.opts.dirs.backups, full);
    if (rel.startsWith('..') || rel.startsWith(sep) || !existsSync(full) || !statSync(full).isFile()) {
      throw new SylkError(`no backup at ${backupPath}`, {
        code: 'storage.no_backup',
        tier: ErrorTier.UserFixable,
        hint: 'Pass a path listed by `sylk backup --list`.',
      });
    }
    const database = this.databases().find(
      (db) => dirname(full) === db.backupDir && listBackups(db.path, db.backupDir).some((b) => b.path === full),
    );
    if (database === undefined) {
      throw new SylkError(`${backupPath} is not a backup of a database sylkd keeps`, {
        code: 'storage.no_backup',
        tier: ErrorTier.UserFixable,
        hint: 'Pass a path listed by `sylk backup --list`.',
      });
    }
    // In the worker: a large backup's full check must not stall the daemon's other clients.
    const problems = (await checkFilesInWorker([full], 'full')).get(full) ?? [];
    if (problems.length > 0) {
      throw new SylkError(`backup ${basename(full)} fails its integrity check: ${problems.slice(0, 3).join('; ')}`, {
        code: 'storage.backup_corrupt',
        tier: ErrorTier.UserFixable,
        hint: 'Pick another backup (`sylk backup --list`).',
      });
    }
    // Copied under a temporary name, flushed and renamed: the next start never sees half a file
    // (and checks it again before swapping it in).
    const pending = `${database.path}${PENDING_SUFFIX}`;
    const tmp = `${pending}.tmp`;
    try {
      copyFileSync(full, tmp);
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, pending);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    this.opts.logger.warn({ database: database.name, backup: full }, 'restore staged for the next start');
    return database;
  }

  summary(): { lastBackupAt: number; lastCheckAt: number; integrity: string; problems: string[]; restores: string[] } {
    const problems = [...this.problems].map(([name, list]) => `${name}: ${list.slice(0, 3).join('; ')}`);
    const integrity =
      problems.length > 0
        ? 'damaged'
        : this.restores.length > 0
          ? 'restored'
          : this.lastCheckAt > 0
            ? 'ok'
            : 'unchecked';
    return {
      lastBackupAt: this.lastBackupAt,
      lastCheckAt: this.lastCheckAt,
      integrity,
      problems,
      restores: [...this.restores],
    };
  }

  /** The `integrity` line of `sylk status`. */
  component(): { name: string; state: string; detail: string } {
    const s = this.summary();
    const detail =
      s.problems.length > 0
        ? s.problems.join(' | ')
        : s.restores.length > 0
          ? s.restores.join(' | ')
          : `last check ${s.lastCheckAt > 0 ? new Date(s.lastCheckAt).toISOString() : 'never'}`;
    return { name: 'integrity', state: s.integrity, detail };
  }

  private async tell(sessionId: string, message: string): Promise<void> {
    try {
      await this.notify?.(sessionId, message);
    } catch (err) {
      // A damaged log may refuse the notice too; the status line and the log still say it.
      this.opts.logger.warn(
        { sessionId, err: errorMessage(err) },
        'could not write the integrity notice into the session',
      );
    }
  }

  /** Stops the timers and waits for a running backup or check. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribe?.();
    await this.queue;
  }
}

function changedSinceBackup(db: ManagedDatabase): boolean {
  const newest = listBackups(db.path, db.backupDir)[0];
  if (newest === undefined) return true;
  let modified = 0;
  for (const file of [db.path, `${db.path}-wal`]) {
    try {
      modified = Math.max(modified, statSync(file).mtimeMs);
    } catch {
      // no WAL
    }
  }
  return modified > newest.createdAt;
}
