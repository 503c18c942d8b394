import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { ErrorTier, SylkError } from '@sylk/core';
import { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './database.js';
import { mapSqliteError } from './errors.js';
import type { Migration } from './migrations.js';
import { caughtSylkError as caught } from '@sylk/core/testing';

const NOTES: Migration[] = [
  {
    version: 1,
    name: 'notes',
    up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT'),
  },
];

let dir: string;
const opened: SqliteDatabase[] = [];
function open(opts: Partial<OpenDatabaseOptions> = {}): SqliteDatabase {
  const db = openDatabase({ path: join(dir, 'nested', 'app.db'), migrations: NOTES, ...opts });
  opened.push(db);
  return db;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-storage-'));
});
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates a private directory and file and configures the connection', () => {
    const db = open({ busyTimeoutMs: 1234 });
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(statSync(db.path).mode & 0o777).toBe(0o600);
    expect(db.journalMode()).toBe('wal');
    expect(db.raw.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(db.raw.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.raw.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.schemaVersion()).toBe(1);
  });

  it('defaults busy_timeout to 30 s and applies cache_size', () => {
    const db = open({ cacheSizeKib: 8192 });
    expect(db.raw.pragma('busy_timeout', { simple: true })).toBe(30_000);
    expect(db.raw.pragma('cache_size', { simple: true })).toBe(-8192);
  });

  it('lets a second connection read while the first holds a write transaction', () => {
    const writer = open();
    writer.raw.prepare('INSERT INTO notes (body) VALUES (?)').run('committed');
    const reader = open({ busyTimeoutMs: 0 });
    writer.raw.exec('BEGIN IMMEDIATE');
    writer.raw.prepare('INSERT INTO notes (body) VALUES (?)').run('pending');
    const rows = reader.raw.prepare('SELECT body FROM notes').pluck().all();
    expect(rows).toEqual(['committed']);
    writer.raw.exec('COMMIT');
    expect(reader.raw.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(2);
  });

  it('reports a competing writer as a transient storage.busy error', () => {
    const writer = open();
    const other = open({ busyTimeoutMs: 0 });
    writer.raw.exec('BEGIN IMMEDIATE');
    const err = caught(() => other.transaction(() => other.raw.exec("INSERT INTO notes (body) VALUES ('x')")));
    expect(err.code).toBe('storage.busy');
    expect(err.tier).toBe(ErrorTier.Transient);
    writer.raw.exec('ROLLBACK');
  });

  it('commits and rolls back transactions, passing the caller’s own errors through', () => {
    const db = open();
    expect(db.transaction(() => db.raw.prepare("INSERT INTO notes (body) VALUES ('a')").run().changes)).toBe(1);
    const own = new Error('mine');
    expect(() =>
      db.transaction(() => {
        db.raw.exec("INSERT INTO notes (body) VALUES ('b')");
        throw own;
      }),
    ).toThrow(own);
    expect(db.raw.prepare('SELECT body FROM notes').pluck().all()).toEqual(['a']);
  });

  it('turns a non-database file into storage.corrupt naming the path', () => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is definitely not sqlite, just some text long enough to fill a header'.repeat(20));
    const err = caught(() => openDatabase({ path, migrations: NOTES }));
    expect(err.code).toBe('storage.corrupt');
    expect(err.tier).toBe(ErrorTier.Permanent);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a SQLite database/);
  });

  it('reports a missing file opened read-only as storage.cannot_open naming the path', () => {
    const path = join(dir, 'missing.db');
    const err = caught(() => openDatabase({ path, migrations: NOTES, readonly: true }));
    expect(err.code).toBe('storage.cannot_open');
    expect(err.tier).toBe(ErrorTier.UserFixable);
    expect(err.message).toContain(path);
  });

  it('reports a parent path that is a file as storage.cannot_open', () => {
    writeFileSync(join(dir, 'nested'), 'a file where a directory should be');
    const err = caught(() => open());
    expect(err.code).toBe('storage.cannot_open');
    expect(err.tier).toBe(ErrorTier.UserFixable);
  });

  it('maps a full database to user-fixable storage.disk_full', () => {
    const db = open();
    db.raw.pragma(`max_page_count = ${db.raw.pragma('page_count', { simple: true }) as number}`);
    const err = caught(() =>
      db.transaction(() => db.raw.prepare('INSERT INTO notes (body) VALUES (?)').run('x'.repeat(100_000))),
    );
    expect(err.code).toBe('storage.disk_full');
    expect(err.tier).toBe(ErrorTier.UserFixable);
  });

  it('opens a migrated file read-only and refuses an outdated one', () => {
    open().close();
    const ro = open({ readonly: true });
    expect(ro.schemaVersion()).toBe(1);
    expect(() => ro.raw.exec("INSERT INTO notes (body) VALUES ('x')")).toThrow();
    const newer = [...NOTES, { version: 2, name: 'more', up: () => {} }];
    const err = caught(() => open({ readonly: true, migrations: newer }));
    expect(err.code).toBe('storage.schema_outdated');
  });

  it('checkpoints on close, and close is idempotent', () => {
    const db = open();
    open(); // keeps the WAL file alive after `db` closes, so only a checkpoint empties it
    db.raw.prepare('INSERT INTO notes (body) VALUES (?)').run('x');
    expect(statSync(`${db.path}-wal`).size).toBeGreaterThan(0);
    db.close();
    db.close();
    expect(statSync(`${db.path}-wal`).size).toBe(0);
    expect(db.raw.open).toBe(false);
  });

  it('backs up online to a readable copy and passes integrity checks', async () => {
    const db = open();
    db.raw.prepare('INSERT INTO notes (body) VALUES (?)').run('keep me');
    const target = join(dir, 'backups', 'copy.db');
    await db.backupTo(target);
    const copy = new BetterSqlite3(target, { readonly: true });
    expect(copy.prepare('SELECT body FROM notes').pluck().all()).toEqual(['keep me']);
    copy.close();
    expect(db.integrityCheck()).toEqual([]);
    expect(db.integrityCheck('full')).toEqual([]);
  });
});

describe('mapSqliteError', () => {
  it('maps extended codes by their primary code and leaves SylkErrors alone', () => {
    const busy = mapSqliteError(new BetterSqlite3.SqliteError('locked', 'SQLITE_BUSY_SNAPSHOT'), '/x.db');
    expect([busy.code, busy.tier]).toEqual(['storage.busy', ErrorTier.Transient]);
    const enospc = mapSqliteError(Object.assign(new Error('no space'), { code: 'ENOSPC' }), '/x.db');
    expect([enospc.code, enospc.tier]).toEqual(['storage.disk_full', ErrorTier.UserFixable]);
    const eacces = mapSqliteError(Object.assign(new Error('denied'), { code: 'EACCES' }), '/x.db');
    expect([eacces.code, eacces.tier]).toEqual(['storage.cannot_open', ErrorTier.UserFixable]);
    expect(eacces.message).toContain('/x.db');
    const other = mapSqliteError(new Error('odd'), '/x.db');
    expect([other.code, other.tier]).toEqual(['storage.error', ErrorTier.Permanent]);
    const own = new SylkError('own', { code: 'x.y' });
    expect(mapSqliteError(own, '/x.db')).toBe(own);
  });
});
