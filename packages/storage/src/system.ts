import { join } from 'node:path';
import type { Clock, Logger } from '@sylk/core';
import { openDatabase, type SqliteDatabase } from './database.js';
import { SYSTEM_MIGRATIONS } from './system-schema.js';

export interface SystemDatabaseOptions {
  /** Usually `{data}/backups/system`; needed only when a destructive migration is pending. */
  backupDir?: string;
  logger?: Logger;
  clock?: Clock;
}

/** Opens `{dataDir}/system.db` and brings it up to {@link SYSTEM_MIGRATIONS}. */
export function openSystemDatabase(dataDir: string, opts: SystemDatabaseOptions = {}): SqliteDatabase {
  return openDatabase({ ...opts, path: join(dataDir, 'system.db'), migrations: SYSTEM_MIGRATIONS });
}
