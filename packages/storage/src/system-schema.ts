import type { Migration } from './migrations.js';

/**
 * The schema of `data/system.db`, one ordered list for the whole daemon.
 * Append new migrations at the end; never edit one that has shipped.
 */
export const SYSTEM_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial: meta, usage, subscription usage, circuit breakers',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE usage (
          id                 INTEGER PRIMARY KEY,
          ts                 INTEGER NOT NULL,
          request_id         TEXT NOT NULL,
          session_id         TEXT,
          pipeline_id        TEXT,
          task_id            TEXT,
          agent_id           TEXT,
          agent_type         TEXT,
          provider           TEXT NOT NULL,
          model              TEXT NOT NULL,
          input_tokens       INTEGER NOT NULL DEFAULT 0,
          output_tokens      INTEGER NOT NULL DEFAULT 0,
          cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
          cache_write_tokens INTEGER NOT NULL DEFAULT 0,
          cost_usd           REAL NOT NULL DEFAULT 0,
          latency_ms         INTEGER NOT NULL DEFAULT 0,
          outcome            TEXT NOT NULL DEFAULT 'ok'
        ) STRICT;
        CREATE INDEX usage_ts ON usage (ts);
        CREATE INDEX usage_session ON usage (session_id, ts);
        CREATE INDEX usage_provider ON usage (provider, ts);

        CREATE TABLE subscription_usage (
          provider      TEXT NOT NULL,
          period        TEXT NOT NULL,
          period_start  INTEGER NOT NULL,
          period_end    INTEGER NOT NULL,
          requests_used INTEGER NOT NULL DEFAULT 0,
          tokens_used   INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (provider, period, period_start)
        ) STRICT;

        CREATE TABLE circuit_breakers (
          resource_id       TEXT PRIMARY KEY,
          state             TEXT NOT NULL,
          failures          INTEGER NOT NULL DEFAULT 0,
          last_failure      INTEGER,
          last_state_change INTEGER NOT NULL,
          cooldown_ends     INTEGER
        ) STRICT;
      `);
    },
  },
];
