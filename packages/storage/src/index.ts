export { openDatabase, SqliteDatabase } from './database.js';
export type { OpenDatabaseOptions } from './database.js';
export { openSystemDatabase } from './system.js';
export type { SystemDatabaseOptions } from './system.js';
export { mapSqliteError } from './errors.js';
export { BACKUPS_KEPT } from './backups.js';
export type { Migration } from './migrations.js';
export { SYSTEM_MIGRATIONS } from './system-schema.js';
