export type { Migration } from './migrations.js';
export { SYSTEM_MIGRATIONS } from './system-schema.js';
