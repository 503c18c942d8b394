export { openDatabase, SqliteDatabase } from './database.js';
export { openSystemDatabase } from './system.js';
export { mapSqliteError } from './errors.js';
export type { Migration } from './migrations.js';
export { /** @internal exported for tests */ SYSTEM_MIGRATIONS } from './system-schema.js';
export { onCorruptionError } from './errors.js';
export {
  backupDatabaseFile,
  checkDatabaseFile,
  checkFilesInWorker,
  listBackups,
  restoreDatabaseFile,
  restoreNewestGoodBackup,
} from './maintenance.js';
export type { BackupInfo, CheckKind } from './maintenance.js';
