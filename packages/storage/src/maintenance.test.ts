import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '@sylk/core';
import { openDatabase } from './database.js';
import { onCorruptionError } from './errors.js';
import type { Migration } from './migrations.js';
import {
  backupDatabaseFile,
  checkDatabaseFile,
  checkFilesInWorker,
  listBackups,
  restoreDatabaseFile,
  restoreNewestGoodBackup,
} from './maintenance.js';

const NOTES: Migration[] = [
  { version: 1, name: 'notes', up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)') },
];

let dir: string;
let now: number;
const clock: Clock = { now: () => now } as Clock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-maint-'));
  now = Date.UTC(2026, 0, 1);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database with `rows` notes, checkpointed and closed. */
function makeDb(name: string, rows: number): string {
  const path = join(dir, name);
  const db = openDatabase({ path, migrations: NOTES });
  const insert = db.raw.prepare('INSERT INTO notes (body) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`note ${i} ${'x'.repeat(200)}`);
  });
  db.close();
  return path;
}

function count(path: string): number {
  const db = openDatabase({ path, migrations: NOTES });
  try {
    return db.raw.prepare('SELECT count(*) FROM notes').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Overwrites bytes in the middle of page `page` (1-based) with garbage, as a disk error would. */
function corruptPage(path: string, page: number): void {
  const pageSize = 4096;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(512, 0xa5), 0, 512, (page - 1) * pageSize + 8);
  } finally {
    closeSync(fd);
  }
}

describe('backups', () => {
  it('takes timestamped online backups while a writer is open and keeps the newest N', async () => {
    const path = makeDb('system.db', 50);
    const writer = openDatabase({ path, migrations: NOTES });
    const backupDir = join(dir, 'backups');
    for (let i = 0; i < 4; i++) {
      writer.raw.prepare('INSERT INTO notes (body) VALUES (?)').run(`live ${i}`);
      now += 60_000;
      await backupDatabaseFile(path, backupDir, clock, 3);
    }
    writer.close();
    const backups = listBackups(path, backupDir);
    expect(backups).toHaveLength(3);
    expect(backups.map((b) => b.createdAt)).toEqual([now, now - 60_000, now - 120_000]);
    expect(backups[0]?.schemaVersion).toBe(1);
    expect(statSync(backups[0]!.path).mode & 0o777).toBe(0o600);
    // The newest copy has every committed row, including those still in the writer's WAL.
    expect(count(backups[0]!.path)).toBe(54);
  });
});

describe('integrity checks', () => {
  it('quick_check catches an overwritten page, in process and in a worker', async () => {
    const good = makeDb('good.db', 5);
    const bad = makeDb('bad.db', 400);
    expect(checkDatabaseFile(bad, 'quick')).toEqual([]);
    corruptPage(bad, 3);
    expect(checkDatabaseFile(bad, 'quick').length).toBeGreaterThan(0);
    const results = await checkFilesInWorker([good, bad], 'full');
    expect(results.get(good)).toEqual([]);
    expect(results.get(bad)?.length).toBeGreaterThan(0);
  });

  it('reports a file that is not a database at all', () => {
    const path = makeDb('x.db', 1);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('this is not sqlite'), 0, 18, 0);
    closeSync(fd);
    expect(checkDatabaseFile(path).join(' ')).toMatch(/not a database|file is not/i);
  });

  it('tells corruption listeners about SQLITE_CORRUPT errors met by queries', () => {
    const path = makeDb('c.db', 400);
    corruptPage(path, 3);
    const seen: string[] = [];
    const stop = onCorruptionError((p) => seen.push(p));
    try {
      const db = openDatabase({ path, migrations: NOTES });
      try {
        expect(() => db.transaction(() => db.raw.prepare('SELECT sum(length(body)) FROM notes').get())).toThrow();
      } finally {
        db.close();
      }
    } finally {
      stop();
    }
    expect(seen).toContain(path);
  });
});

describe('restore', () => {
  it('restores the newest backup that passes a full check and keeps the damaged file aside', async () => {
    const path = makeDb('system.db', 300);
    const backupDir = join(dir, 'backups');
    await backupDatabaseFile(path, backupDir, clock); // older, good: 300 rows
    const db = openDatabase({ path, migrations: NOTES });
    db.raw.prepare('INSERT INTO notes (body) VALUES (?)').run('one more');
    db.close();
    now += 1000;
    const newest = await backupDatabaseFile(path, backupDir, clock); // newer, damaged below
    corruptPage(newest.path, 3);
    corruptPage(path, 3);

    const restored = restoreNewestGoodBackup(path, backupDir);
    expect(restored?.createdAt).toBe(now - 1000);
    expect(checkDatabaseFile(path, 'full')).toEqual([]);
    expect(count(path)).toBe(300);
    expect(existsSync(`${path}.corrupt`)).toBe(true);
    expect(existsSync(`${path}.restore-tmp`)).toBe(false);
  });

  it('refuses a damaged backup and leaves the current file untouched', async () => {
    const path = makeDb('system.db', 300);
    const backup = await backupDatabaseFile(path, join(dir, 'backups'), clock);
    corruptPage(backup.path, 3);
    const before = readFileSync(path);
    expect(() => restoreDatabaseFile(path, backup.path)).toThrow(/fails its integrity check/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}.restore-tmp`)).toBe(false);
    expect(restoreNewestGoodBackup(path, join(dir, 'backups'))).toBeUndefined();
  });
});
