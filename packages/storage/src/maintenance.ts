import {
  chmodSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { ErrorTier, SylkError, errorMessage, type Clock } from '@sylk/core';
import { BACKUPS_KEPT, backupBaseName, pruneMigrationBackups } from './backups.js';
import { mapSqliteError } from './errors.js';

/** One backup file of a database, as {@link listBackups} finds it. */
export interface BackupInfo {
  path: string;
  /** When it was taken (from its name), ms since the epoch. */
  createdAt: number;
  /** The schema version (`user_version`) it was taken at. */
  schemaVersion: number;
  bytes: number;
}

export type CheckKind = 'quick' | 'full';

function compactTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function parseCompactTimestamp(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(text);
  if (m === null) return 0;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7]));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Backups of `dbPath` in `backupDir`, newest first (same naming as pre-migration copies). */
export function listBackups(dbPath: string, backupDir: string): BackupInfo[] {
  if (!existsSync(backupDir)) return [];
  const pattern = new RegExp(`^${escapeRegExp(backupBaseName(dbPath))}-v(\\d+)-(\\d{8}T\\d{9}Z)(?:-(\\d+))?\\.db$`);
  const found: (BackupInfo & { n: number })[] = [];
  for (const name of readdirSync(backupDir)) {
    const m = pattern.exec(name);
    if (m === null) continue;
    const path = join(backupDir, name);
    let bytes = 0;
    try {
      bytes = statSync(path).size;
    } catch {
      continue; // pruned meanwhile
    }
    found.push({
      path,
      createdAt: parseCompactTimestamp(m[2] ?? ''),
      schemaVersion: Number(m[1]),
      bytes,
      n: Number(m[3] ?? 0),
    });
  }
  found.sort((a, b) => b.createdAt - a.createdAt || b.schemaVersion - a.schemaVersion || b.n - a.n);
  return found.map(({ n: _n, ...info }) => info);
}

/**
 * Online backup (SQLite backup API, run in steps so the event loop keeps turning) of the file at
 * `dbPath` through its own read-only connection, to `<backupDir>/<base>-v<version>-<timestamp>.db`;
 * then deletes all but the newest `keep`. Writers of the database carry on meanwhile.
 */
export async function backupDatabaseFile(
  dbPath: string,
  backupDir: string,
  clock: Clock,
  keep = BACKUPS_KEPT,
): Promise<BackupInfo> {
  let source: BetterSqlite3.Database | undefined;
  let target = '';
  try {
    source = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
    const version = source.pragma('user_version', { simple: true }) as number;
    mkdirSync(backupDir, { recursive: true, mode: 0o700 });
    const now = clock.now();
    const stem = `${backupBaseName(dbPath)}-v${version}-${compactTimestamp(now)}`;
    target = join(backupDir, `${stem}.db`);
    for (let n = 1; existsSync(target); n++) target = join(backupDir, `${stem}-${n}.db`);
    await source.backup(target);
    chmodSync(target, 0o600);
    pruneMigrationBackups(dbPath, backupDir, keep);
    return { path: target, createdAt: now, schemaVersion: version, bytes: statSync(target).size };
  } catch (err) {
    if (target !== '') rmSync(target, { force: true });
    throw mapSqliteError(err, dbPath, 'backup failed');
  } finally {
    source?.close();
  }
}

/**
 * Problems `PRAGMA quick_check` / `integrity_check` finds in the file at `path`, read through a
 * fresh read-only connection; empty means healthy. A file SQLite cannot even read counts as one
 * problem. Synchronous: sylkd runs it through {@link checkFilesInWorker}; on its main thread only
 * for one session log about to open before its start-up check came back (StorageGuard.beforeOpen).
 */
export function checkDatabaseFile(path: string, kind: CheckKind = 'quick'): string[] {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma(kind === 'quick' ? 'quick_check' : 'integrity_check') as Record<string, unknown>[];
    return rows.map((row) => String(Object.values(row)[0])).filter((line) => line !== 'ok');
  } catch (err) {
    return [errorMessage(err)];
  } finally {
    try {
      db?.close();
    } catch {
      // already failing
    }
  }
}

// CommonJS source for the worker (eval workers cannot import ESM by name); mirrors checkDatabaseFile.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const results = {};
for (const path of workerData.paths) {
  let db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma(workerData.kind === 'quick' ? 'quick_check' : 'integrity_check');
    results[path] = rows.map((row) => String(Object.values(row)[0])).filter((line) => line !== 'ok');
  } catch (err) {
    results[path] = [String(err && err.message || err)];
  } finally {
    try { if (db) db.close(); } catch {}
  }
}
parentPort.postMessage(results);
`;

/** {@link checkDatabaseFile} for each path, in one worker thread: the main thread never blocks on it. */
export function checkFilesInWorker(
  paths: readonly string[],
  kind: CheckKind = 'quick',
): Promise<Map<string, string[]>> {
  if (paths.length === 0) return Promise.resolve(new Map());
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, paths: [...paths], kind } });
    let settled = false;
    worker.once('message', (results: Record<string, string[]>) => {
      settled = true;
      resolve(new Map(Object.entries(results)));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`integrity check worker exited with code ${code}`));
    });
  });
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the database at `dbPath` with the backup at `backupPath`, never leaving a half-restored
 * file: the backup is copied next to it, fully checked, then renamed over it. The replaced file
 * (if any) is kept as `<dbPath>.corrupt`. Callers must hold no open connection to `dbPath`.
 */
export function restoreDatabaseFile(dbPath: string, backupPath: string): void {
  const tmp = `${dbPath}.restore-tmp`;
  try {
    mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 });
    copyFileSync(backupPath, tmp);
    chmodSync(tmp, 0o600);
    const problems = checkDatabaseFile(tmp, 'full');
    // The check may leave -wal/-shm beside the temp copy; they belong to nothing after the rename.
    for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
    if (problems.length > 0) {
      throw new SylkError(
        `backup ${basename(backupPath)} fails its integrity check: ${problems.slice(0, 3).join('; ')}`,
        {
          tier: ErrorTier.UserFixable,
          code: 'storage.backup_corrupt',
          hint: 'Pick another backup (`sylk backup --list`).',
          details: { backup: backupPath },
        },
      );
    }
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(dbPath)) copyFileSync(dbPath, `${dbPath}.corrupt`);
    // The old WAL must go before the rename: replayed onto the restored file it would damage it.
    // A crash between the two leaves the old file without its WAL, which the next start re-checks.
    for (const suffix of ['-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
    renameSync(tmp, dbPath);
    fsyncDir(dirname(dbPath));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw mapSqliteError(err, dbPath, 'restore failed');
  }
}

/**
 * Restores the newest backup of `dbPath` in `backupDir` that passes a full integrity check;
 * returns it, or undefined when there is none.
 */
export function restoreNewestGoodBackup(dbPath: string, backupDir: string): BackupInfo | undefined {
  for (const backup of listBackups(dbPath, backupDir)) {
    try {
      restoreDatabaseFile(dbPath, backup.path);
      return backup;
    } catch (err) {
      if (err instanceof SylkError && err.code === 'storage.backup_corrupt') continue;
      throw err;
    }
  }
  return undefined;
}
