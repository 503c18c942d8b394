import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsRegistry } from './registry.js';

/** A SQLite file's bytes with its write-ahead log (0 when absent). */
function dbBytes(path: string): number {
  let bytes = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      bytes += statSync(file).size;
    } catch {
      // absent
    }
  }
  return bytes;
}

/** system.db and the session logs together (with their WALs), stat'ed at scrape time. */
export function watchStorage(r: MetricsRegistry, dataDir: string): void {
  r.collect({
    name: 'sylk_storage_db_bytes',
    help: 'Size of the SQLite databases with their write-ahead logs: system (system.db) and sessions (every event log).',
    type: 'gauge',
    labelNames: ['db'],
    collect: (emit) => {
      emit(dbBytes(join(dataDir, 'system.db')), 'system');
      let sessions = 0;
      let ids: string[] = [];
      try {
        ids = readdirSync(join(dataDir, 'sessions'));
      } catch {
        // no session yet
      }
      for (const id of ids) sessions += dbBytes(join(dataDir, 'sessions', id, 'events.db'));
      emit(sessions, 'sessions');
    },
  });
}
