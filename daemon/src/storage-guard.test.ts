import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import { ConfigStore, resolveDirs, type SylkDirs } from '@sylk/config';
import { checkDatabaseFile, openDatabase, openSystemDatabase } from '@sylk/storage';
import { StorageGuard, startIntegrityChecks } from './storage-guard.js';

let home: string;
let dirs: SylkDirs;
let config: ConfigStore;
let guard: StorageGuard;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sylk-storage-guard-'));
  const env = { SYLK_HOME: home };
  dirs = resolveDirs(env);
  mkdirSync(dirs.config, { recursive: true });
  config = new ConfigStore({ dirs, env, logger: silentLogger() });
  guard = new StorageGuard({ dirs, config, clock, logger: silentLogger(), sessionCheckDelayMs: 0 });
});
afterEach(async () => {
  await guard.close();
  await config.close();
  rmSync(home, { recursive: true, force: true });
});

/** system.db plus one session log with enough rows to span many pages. */
function makeDatabases(): string {
  openSystemDatabase(dirs.data).close();
  const path = join(dirs.data, 'sessions', 's1', 'events.db');
  const db = openDatabase({
    path,
    migrations: [
      {
        version: 1,
        name: 'events',
        up: (raw) => raw.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)'),
      },
    ],
  });
  const insert = db.raw.prepare('INSERT INTO events (data) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 300; i++) insert.run(`event ${i} ${'x'.repeat(200)}`);
  });
  db.close();
  return path;
}

function corruptPages(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    for (let page = 2; page <= 4; page++) writeSync(fd, Buffer.alloc(512, 0x5a), 0, 512, (page - 1) * 4096);
  } finally {
    closeSync(fd);
  }
}

describe('StorageGuard', () => {
  it('restores a damaged session log at start and tells the session', async () => {
    const log = makeDatabases();
    const written = await guard.backupNow();
    expect(written.map((w) => w.database.name)).toEqual(['system', 'session s1']);
    corruptPages(log);

    // As sylkd --foreground does: the checks begin before the guard exists (early-checks.ts).
    const early = startIntegrityChecks(dirs);
    expect(early?.databases.map((d) => d.name)).toEqual(['system', 'session s1']);
    // Only system.db is waited for; the session logs are checked once the daemon serves.
    expect(await guard.checkAtStart(early)).toEqual([]);
    expect(checkDatabaseFile(log, 'quick')).not.toEqual([]);
    const notices: [string, string][] = [];
    guard.start(async (id, message) => void notices.push([id, message]), []);
    await guard.sessionLogsChecked();
    expect(checkDatabaseFile(log, 'full')).toEqual([]);
    expect(guard.component()).toMatchObject({ name: 'integrity', state: 'restored' });
    expect(guard.component().detail).toMatch(/session s1 was damaged and restored from backup events-v1-/);
    expect(notices).toEqual([['s1', expect.stringContaining('failed its integrity check at start: restored')]]);
  });

  it('checks a session log that opens before its start-up check came back, and restores it before it opens', async () => {
    const log = makeDatabases();
    await guard.backupNow();
    corruptPages(log);
    expect(await guard.checkAtStart(startIntegrityChecks(dirs))).toEqual([]);
    // Opened right after the start, before the session logs' check: checked and restored first.
    guard.beforeOpen(log);
    expect(checkDatabaseFile(log, 'full')).toEqual([]);
    expect(guard.summary().restores).toHaveLength(1);
    // Told once the log has opened and the daemon can write into it.
    await new Promise((r) => setImmediate(r));
    const notices: string[] = [];
    guard.start(async (id) => void notices.push(id), []);
    expect(notices).toEqual(['s1']);
    // The start-up check then leaves it alone: it is open.
    await guard.sessionLogsChecked();
    expect(guard.summary().restores).toHaveLength(1);
  });

  it('does not bring back from its backup a session log removed before its start-up check', async () => {
    const log = makeDatabases();
    await guard.backupNow();
    corruptPages(log);
    expect(await guard.checkAtStart(startIntegrityChecks(dirs))).toEqual([]);
    rmSync(join(dirs.data, 'sessions', 's1'), { recursive: true, force: true }); // sylk rm, right after the start
    guard.start(async () => undefined, []);
    await guard.sessionLogsChecked();
    expect(existsSync(log)).toBe(false);
    expect(guard.summary().restores).toEqual([]);
  });

  it('a healthy log, or one created after the start, opens without a check of its own', async () => {
    const log = makeDatabases();
    expect(await guard.checkAtStart(startIntegrityChecks(dirs))).toEqual([]);
    guard.beforeOpen(log);
    guard.beforeOpen(join(dirs.data, 'sessions', 's2', 'events.db'));
    guard.start(async () => undefined, []);
    await guard.sessionLogsChecked();
    expect(guard.summary()).toMatchObject({ integrity: 'ok', restores: [], problems: [] });
  });

  it('a periodic check flags damage found while running, once, and points at the restart', async () => {
    const log = makeDatabases();
    await guard.backupNow();
    const notices: string[] = [];
    guard.start(async (id) => void notices.push(id), []);
    expect((await guard.check('quick')).every((r) => r.problems.length === 0)).toBe(true);
    expect(guard.component().state).toBe('ok');

    corruptPages(log);
    const results = await guard.check('quick');
    const s1 = results.find((r) => r.database.sessionId === 's1');
    expect(s1?.problems.length).toBeGreaterThan(0);
    expect(s1?.action).toContain('sylk daemon restart');
    await guard.check('quick');
    expect(notices).toEqual(['s1']);
    expect(guard.summary()).toMatchObject({ integrity: 'damaged' });
  });

  it('stages only checked backups it knows, and applies them at the next start', async () => {
    makeDatabases();
    const [system] = await guard.backupNow();
    await expect(guard.stageRestore(join(home, 'elsewhere.db'))).rejects.toThrow(/no backup at/);
    const backupPath = system?.backup.path as string;
    expect((await guard.stageRestore(backupPath)).name).toBe('system');
    const pending = join(dirs.data, 'system.db.restore-pending');
    expect(existsSync(pending)).toBe(true);

    const [, session] = await guard.backupNow();
    corruptPages(session?.backup.path as string);
    await expect(guard.stageRestore(session?.backup.path as string)).rejects.toThrow(/fails its integrity check/);
    expect(existsSync(join(dirs.data, 'sessions', 's1', 'events.db.restore-pending'))).toBe(false);

    // A staged restore is applied before anything is checked: no early checks then.
    expect(startIntegrityChecks(dirs)).toBeUndefined();
    const next = new StorageGuard({ dirs, config, clock, logger: silentLogger() });
    expect(await next.checkAtStart()).toEqual([]);
    expect(existsSync(pending)).toBe(false);
    expect(next.summary().restores).toEqual(['system restored from a backup chosen with `sylk restore`']);
    await next.close();
  });
});
