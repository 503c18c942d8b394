import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_MIGRATIONS } from '@sylk/storage';

/** A real system.db on a temp file with the system migrations applied (tests own their handle). */
export function tempSystemDb(): { db: DB; file: string; reopen: () => DB; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-gate-'));
  const file = join(dir, 'system.db');
  const open = () => {
    const db = new Database(file);
    const version = db.pragma('user_version', { simple: true }) as number;
    for (const m of SYSTEM_MIGRATIONS) {
      if (m.version <= version) continue;
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      })();
    }
    return db;
  };
  const handles: DB[] = [open()];
  return {
    db: handles[0] as DB,
    file,
    reopen: () => {
      const db = open();
      handles.push(db);
      return db;
    },
    cleanup: () => {
      for (const h of handles) if (h.open) h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
