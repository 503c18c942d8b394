import type { Database } from 'better-sqlite3';
import { ErrorTier, SylkError, errorMessage, tierOf, type Clock, type Logger } from '@sylk/core';
import type { Migration } from './migrations.js';
import { pruneMigrationBackups, writeMigrationBackup } from './backups.js';
import { mapSqliteError } from './errors.js';

/** Versions must be 1, 2, 3, … in order: a gap or duplicate is a programming error. */
export function validateMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      const seen = migrations.map((x) => x.version).join(', ');
      throw new SylkError(
        `migration list is invalid: position ${i + 1} has version ${m.version} ("${m.name}"), expected ${i + 1}; versions are [${seen}]`,
        { tier: ErrorTier.Permanent, code: 'storage.bad_migrations', details: { versions: seen } },
      );
    }
  });
}

export function readUserVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export interface MigrateContext {
  db: Database;
  path: string;
  migrations: readonly Migration[];
  backupDir: string | undefined;
  logger: Logger;
  clock: Clock;
}

/** Refuses a file written by a newer Sylk, and destructive steps that could not be backed up. */
export function pendingMigrations(ctx: MigrateContext): Migration[] {
  const current = readUserVersion(ctx.db);
  const known = ctx.migrations.length;
  if (current > known) {
    throw new SylkError(
      `database ${ctx.path} has schema version ${current}, but this build of Sylk only knows up to version ${known}`,
      {
        tier: ErrorTier.UserFixable,
        code: 'storage.schema_too_new',
        hint: 'It was written by a newer Sylk: upgrade Sylk to open it.',
        details: { path: ctx.path, fileVersion: current, knownVersion: known },
      },
    );
  }
  const pending = ctx.migrations.slice(current);
  const destructive = pending.find((m) => m.destructive === true);
  if (destructive && ctx.backupDir === undefined) {
    throw new SylkError(
      `refusing to run destructive migration ${destructive.version} ("${destructive.name}") on ${ctx.path} without a backup directory`,
      { tier: ErrorTier.Permanent, code: 'storage.backup_required', details: { path: ctx.path } },
    );
  }
  return pending;
}

/** Applies each pending migration in its own transaction together with its user_version bump. */
export function applyMigrations(ctx: MigrateContext): void {
  const pending = pendingMigrations(ctx);
  if (pending.length === 0) return;
  const { db } = ctx;
  // Table rebuilds need foreign keys off; the pragma is a no-op inside a transaction, so it is
  // switched around the whole run and violations are checked before each commit instead.
  db.pragma('foreign_keys = OFF');
  try {
    // With a backup directory, any upgrade of an existing file is preceded by a copy;
    // a destructive first step then needs no second one.
    const first = pending[0] as Migration;
    if (ctx.backupDir !== undefined && first.version > 1) backUp(ctx, first);
    pending.forEach((m, i) => applyOne(ctx, m, i > 0 || first.version === 1));
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

function backUp(ctx: MigrateContext, m: Migration): void {
  const { db, path, logger } = ctx;
  if (ctx.backupDir === undefined) return;
  try {
    const backup = writeMigrationBackup(db, path, ctx.backupDir, m.version - 1, ctx.clock);
    logger.info({ path, backup, version: m.version }, 'backed up database before migration');
    const removed = pruneMigrationBackups(path, ctx.backupDir);
    if (removed.length > 0) logger.debug({ path, removed }, 'pruned old migration backups');
  } catch (err) {
    throw mapSqliteError(err, path, `backup before migration ${m.version} ("${m.name}") failed`);
  }
}

/** `backupDestructive`: false when the run's opening backup already covers this step. */
function applyOne(ctx: MigrateContext, m: Migration, backupDestructive: boolean): void {
  const { db, path, logger } = ctx;
  const from = m.version - 1;
  if (m.destructive === true && backupDestructive) backUp(ctx, m);
  const step = db.transaction(() => {
    // Another process may have migrated since we looked; IMMEDIATE makes this re-check race-free.
    if (readUserVersion(db) >= m.version) return false;
    m.up(db);
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) {
      throw new Error(`leaves ${violations.length} foreign key violation(s)`);
    }
    db.pragma(`user_version = ${m.version}`);
    return true;
  });
  try {
    if (step.immediate()) logger.info({ path, version: m.version, name: m.name }, 'applied migration');
  } catch (err) {
    const mapped = mapSqliteError(err, path);
    throw new SylkError(
      `migration ${m.version} ("${m.name}") failed on ${path}; the database stays at version ${from}: ${errorMessage(err)}`,
      {
        tier: tierOf(err) ?? (mapped.code === 'storage.error' ? ErrorTier.Permanent : mapped.tier),
        code: 'storage.migration_failed',
        cause: err,
        details: { path, version: m.version, name: m.name },
      },
    );
  }
}
