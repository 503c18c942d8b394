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
  {
    version: 2,
    name: 'sessions registry and approvals',
    up(db) {
      // Deleted sessions keep their row (deleted_at set) for history; only live names are unique.
      db.exec(`
        CREATE TABLE sessions (
          id               TEXT PRIMARY KEY,
          name             TEXT NOT NULL,
          project_root     TEXT NOT NULL,
          provider         TEXT NOT NULL,
          model            TEXT NOT NULL,
          state            TEXT NOT NULL CHECK (state IN ('created', 'running', 'waiting_approval',
                             'idle', 'paused', 'completed', 'failed', 'closed')),
          created_at       INTEGER NOT NULL,
          updated_at       INTEGER NOT NULL,
          last_activity_at INTEGER NOT NULL,
          budget_usd       REAL,
          interrupted      INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
          last_seq         INTEGER NOT NULL DEFAULT 0,
          deleted_at       INTEGER
        ) STRICT;
        CREATE UNIQUE INDEX sessions_live_name ON sessions (name) WHERE deleted_at IS NULL;
        CREATE INDEX sessions_state ON sessions (state) WHERE deleted_at IS NULL;
        CREATE INDEX sessions_project ON sessions (project_root) WHERE deleted_at IS NULL;

        CREATE TABLE approvals (
          id            TEXT PRIMARY KEY,
          session_id    TEXT NOT NULL REFERENCES sessions (id),
          agent_id      TEXT NOT NULL,
          kind          TEXT NOT NULL,
          summary       TEXT NOT NULL,
          detail        TEXT NOT NULL,
          reason        TEXT NOT NULL,
          proposed_rule TEXT,
          state         TEXT NOT NULL CHECK (state IN ('pending', 'decided', 'expired')),
          decision      TEXT CHECK (decision IN ('allow_once', 'allow_session', 'allow_always',
                          'deny', 'deny_with_message')),
          message       TEXT,
          decided_by    TEXT,
          created_at    INTEGER NOT NULL,
          expires_at    INTEGER,
          decided_at    INTEGER
        ) STRICT;
        CREATE INDEX approvals_pending ON approvals (session_id, created_at) WHERE state = 'pending';
        CREATE INDEX approvals_expiry ON approvals (expires_at) WHERE state = 'pending';
      `);
    },
  },
];
