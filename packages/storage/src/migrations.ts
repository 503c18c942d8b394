import type { Database } from 'better-sqlite3';

/** One schema step. `up` runs inside a transaction together with the user_version bump. */
export interface Migration {
  version: number;
  name: string;
  /** Drops or rewrites data: a backup of the database file is taken before it runs. */
  destructive?: boolean;
  up(db: Database): void;
}
