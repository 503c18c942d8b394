import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Clock } from '@sylk/core';

/** Pre-migration backups kept per database. */
export const BACKUPS_KEPT = 10;

/** `system.db` → `system`: backups are grouped by this name. */
export function backupBaseName(dbPath: string): string {
  const name = basename(dbPath);
  const ext = extname(name);
  return ext === '' ? name : name.slice(0, -ext.length);
}

/** `2025-01-02T03:04:05.006Z` → `20250102T030405006Z`: sorts by time, safe in file names. */
function compactTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function backupPattern(base: string): RegExp {
  return new RegExp(`^${escapeRegExp(base)}-v(\\d+)-(\\d{8}T\\d{9}Z)(?:-(\\d+))?\\.db$`);
}

/**
 * Writes a consistent copy of the open database to
 * `<backupDir>/<base>-v<fromVersion>-<timestamp>.db` with `VACUUM INTO` (sees the WAL, needs
 * no pause of other readers) and returns its path. Must run outside a transaction.
 */
export function writeMigrationBackup(
  db: Database,
  dbPath: string,
  backupDir: string,
  fromVersion: number,
  clock: Clock,
): string {
  mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  const stem = `${backupBaseName(dbPath)}-v${fromVersion}-${compactTimestamp(clock.now())}`;
  let target = join(backupDir, `${stem}.db`);
  // Two backups in the same millisecond (a fast test, a clock step back) must not collide.
  for (let n = 1; existsSync(target); n++) target = join(backupDir, `${stem}-${n}.db`);
  db.prepare('VACUUM INTO ?').run(target);
  chmodSync(target, 0o600);
  return target;
}

/** Deletes all but the newest `keep` backups of `dbPath` in `backupDir`; returns what it removed. */
export function pruneMigrationBackups(dbPath: string, backupDir: string, keep = BACKUPS_KEPT): string[] {
  const pattern = backupPattern(backupBaseName(dbPath));
  const backups = readdirSync(backupDir)
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ name, match }) => ({
      name,
      sortKey: [match[2] ?? '', Number(match[1]), Number(match[3] ?? 0)] as const,
    }))
    .sort((a, b) => {
      const [ta, va, na] = a.sortKey;
      const [tb, vb, nb] = b.sortKey;
      return ta < tb ? 1 : ta > tb ? -1 : vb - va || nb - na;
    });
  const removed: string[] = [];
  for (const old of backups.slice(keep)) {
    const path = join(backupDir, old.name);
    rmSync(path, { force: true });
    removed.push(path);
  }
  return removed;
}
