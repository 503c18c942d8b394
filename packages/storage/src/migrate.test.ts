import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { ErrorTier, ManualClock } from '@sylk/core';
import { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './database.js';
import type { Migration } from './migrations.js';
import { caughtSylkError as caught } from '@sylk/core/testing';

const V1: Migration = {
  version: 1,
  name: 'items',
  up: (db) => db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, legacy TEXT)'),
};
const V2: Migration = {
  version: 2,
  name: 'tags',
  up: (db) => db.exec('CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items(id), tag TEXT NOT NULL)'),
};
/** A table rebuild that drops a column: data is lost, so it must be backed up first. */
const V3_DROP_LEGACY: Migration = {
  version: 3,
  name: 'drop items.legacy',
  destructive: true,
  up: (db) =>
    db.exec(`
      CREATE TABLE items_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      INSERT INTO items_new (id, name) SELECT id, name FROM items;
      DROP TABLE items;
      ALTER TABLE items_new RENAME TO items;
    `),
};

let dir: string;
let clock: ManualClock;
const opened: SqliteDatabase[] = [];
const dbPath = () => join(dir, 'app.db');
function open(migrations: readonly Migration[], opts: Partial<OpenDatabaseOptions> = {}): SqliteDatabase {
  const db = openDatabase({ path: dbPath(), migrations, clock, ...opts });
  opened.push(db);
  return db;
}
function tables(db: SqliteDatabase): string[] {
  return db.raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-migrate-'));
  clock = new ManualClock(Date.UTC(2025, 0, 2, 3, 4, 5, 6));
});
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('apply in order, record user_version, and are not re-applied on reopen', () => {
    const order: number[] = [];
    const tracked = [V1, V2].map((m) => ({
      ...m,
      up: (db: BetterSqlite3.Database) => (order.push(m.version), m.up(db)),
    }));
    const db = open(tracked);
    expect(order).toEqual([1, 2]);
    expect(db.schemaVersion()).toBe(2);
    expect(tables(db)).toEqual(['items', 'tags']);
    db.close();
    expect(open(tracked).schemaVersion()).toBe(2);
    expect(order).toEqual([1, 2]);
  });

  it('upgrade an older file step by step', () => {
    open([V1]).raw.prepare("INSERT INTO items (name) VALUES ('a')").run();
    opened.splice(0).forEach((db) => db.close());
    const db = open([V1, V2]);
    expect(db.schemaVersion()).toBe(2);
    expect(db.raw.prepare('SELECT name FROM items').pluck().all()).toEqual(['a']);
  });

  it('roll a failing step back entirely, including its DDL, and a later good open proceeds', () => {
    open([V1]).close();
    const broken: Migration = {
      version: 2,
      name: 'half done',
      up: (db) => {
        db.exec('CREATE TABLE half (x INTEGER)');
        db.exec('INSERT INTO no_such_table VALUES (1)');
      },
    };
    const err = caught(() => open([V1, broken]));
    expect(err.code).toBe('storage.migration_failed');
    expect(err.message).toContain('migration 2 ("half done")');
    expect(err.message).toContain('stays at version 1');

    const check = new BetterSqlite3(dbPath(), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    expect(check.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half'").pluck().get()).toBe(0);
    check.close();

    const db = open([V1, V2]);
    expect(db.schemaVersion()).toBe(2);
    expect(tables(db)).toEqual(['items', 'tags']);
  });

  it('keep the steps before a failing one', () => {
    const boom: Migration = {
      version: 2,
      name: 'boom',
      up: () => {
        throw new Error('nope');
      },
    };
    caught(() => open([V1, boom]));
    expect(open([V1]).schemaVersion()).toBe(1);
  });

  it('roll back a step that leaves foreign key violations', () => {
    open([V1, V2]).close();
    const orphan: Migration = {
      version: 3,
      name: 'orphan tag',
      up: (db) => db.exec("INSERT INTO tags VALUES (42, 'x')"),
    };
    const err = caught(() => open([V1, V2, orphan]));
    expect(err.code).toBe('storage.migration_failed');
    expect(err.message).toMatch(/foreign key/);
    const db = open([V1, V2]);
    expect(db.raw.prepare('SELECT count(*) FROM tags').pluck().get()).toBe(0);
    expect(db.raw.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('refuse a file with a newer schema, naming both versions', () => {
    open([V1, V2]).close();
    const err = caught(() => open([V1]));
    expect(err.code).toBe('storage.schema_too_new');
    expect(err.tier).toBe(ErrorTier.UserFixable);
    expect(err.message).toContain('schema version 2');
    expect(err.message).toContain('up to version 1');
    expect(err.hint).toMatch(/upgrade Sylk/);
  });

  it.each([
    ['starting above 1', [V2]],
    ['with a gap', [V1, V3_DROP_LEGACY]],
    ['with a duplicate', [V1, V1]],
    ['out of order', [V2, V1]],
  ])('reject a list %s before touching the file', (_label, list) => {
    const err = caught(() => open(list));
    expect(err.code).toBe('storage.bad_migrations');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('destructive migrations', () => {
  const backupDir = () => join(dir, 'backups');

  it('back up the pre-migration data first and say where', () => {
    const first = open([V1, V2]);
    first.raw.prepare("INSERT INTO items (name, legacy) VALUES ('a', 'old value')").run();
    first.close();

    const db = open([V1, V2, V3_DROP_LEGACY], { backupDir: backupDir() });
    expect(db.schemaVersion()).toBe(3);
    expect(db.raw.prepare('SELECT * FROM items').all()).toEqual([{ id: 1, name: 'a' }]);

    expect(readdirSync(backupDir())).toEqual(['app-v2-20250102T030405006Z.db']);
    const backup = new BetterSqlite3(join(backupDir(), 'app-v2-20250102T030405006Z.db'), { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(2);
    expect(backup.prepare('SELECT legacy FROM items').pluck().all()).toEqual(['old value']);
    backup.close();
  });

  it('any upgrade of an existing file is backed up when a backup directory is given; a new file is not', () => {
    open([V1], { backupDir: backupDir() }).close();
    expect(existsSync(backupDir())).toBe(false);
    open([V1, V2], { backupDir: backupDir() }).close();
    expect(readdirSync(backupDir())).toEqual(['app-v1-20250102T030405006Z.db']);
  });

  it('are refused without a backup directory, before any step runs', () => {
    open([V1]).close();
    const err = caught(() => open([V1, V2, V3_DROP_LEGACY]));
    expect(err.code).toBe('storage.backup_required');
    expect(err.message).toContain('destructive migration 3');
    expect(open([V1]).schemaVersion()).toBe(1);
  });

  it('keep only the newest 10 backups of this database', () => {
    const stale = Array.from({ length: 12 }, (_, i) => `app-v1-202401${String(i + 10)}T000000000Z.db`);
    const other = 'other-v1-20230101T000000000Z.db';
    open([V1, V2]).close();
    writeAll(backupDir(), [...stale, other, 'notes.txt']);

    open([V1, V2, V3_DROP_LEGACY], { backupDir: backupDir() });
    const kept = readdirSync(backupDir()).sort();
    const ours = kept.filter((name) => name.startsWith('app-'));
    expect(ours).toHaveLength(10);
    expect(ours).toContain('app-v2-20250102T030405006Z.db');
    for (const oldest of ['10', '11', '12']) expect(ours).not.toContain(`app-v1-202401${oldest}T000000000Z.db`);
    expect(ours).toContain('app-v1-20240121T000000000Z.db');
    expect(kept).toContain(other);
    expect(kept).toContain('notes.txt');
  });
});

function writeAll(target: string, names: string[]): void {
  mkdirSync(target, { recursive: true });
  for (const name of names) writeFileSync(join(target, name), '');
}
