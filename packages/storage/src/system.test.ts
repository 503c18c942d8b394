import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSystemDatabase } from './system.js';
import { SYSTEM_MIGRATIONS } from './system-schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-system-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('applies SYSTEM_MIGRATIONS cleanly to a fresh system.db and reopens it', () => {
  const dataDir = join(dir, 'data');
  const db = openSystemDatabase(dataDir);
  expect(db.path).toBe(join(dataDir, 'system.db'));
  expect(db.schemaVersion()).toBe(SYSTEM_MIGRATIONS.length);
  const tables = db.raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
  expect(tables).toEqual(expect.arrayContaining(['meta', 'usage', 'subscription_usage', 'circuit_breakers']));
  expect(db.integrityCheck('full')).toEqual([]);
  expect(db.raw.pragma('foreign_key_check')).toEqual([]);
  db.close();

  const again = openSystemDatabase(dataDir);
  expect(again.schemaVersion()).toBe(SYSTEM_MIGRATIONS.length);
  again.close();
});
