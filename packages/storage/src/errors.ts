import { ErrorTier, SylkError, errorMessage } from '@sylk/core';

/** The SQLite result code (`SQLITE_BUSY`, …) or Node errno code (`EACCES`, …) of an error, if any. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `SQLITE_BUSY_SNAPSHOT` → `SQLITE_BUSY`: extended codes share the primary code's meaning. */
function primaryCode(code: string): string {
  const match = /^SQLITE_[A-Z]+/.exec(code);
  return match ? match[0] : code;
}

interface Mapping {
  code: string;
  tier: ErrorTier;
  describe: (path: string) => string;
  hint?: string;
}

const MAPPINGS: Record<string, Mapping> = {
  SQLITE_BUSY: {
    code: 'storage.busy',
    tier: ErrorTier.Transient,
    describe: (p) => `database ${p} is locked by another connection`,
  },
  SQLITE_LOCKED: {
    code: 'storage.busy',
    tier: ErrorTier.Transient,
    describe: (p) => `a table in ${p} is locked`,
  },
  SQLITE_CORRUPT: {
    code: 'storage.corrupt',
    tier: ErrorTier.Permanent,
    describe: (p) => `database ${p} is corrupt`,
    hint: 'Restore it from a backup or move it aside so Sylk can recreate it.',
  },
  SQLITE_NOTADB: {
    code: 'storage.corrupt',
    tier: ErrorTier.Permanent,
    describe: (p) => `${p} is not a SQLite database (or its header is corrupt)`,
    hint: 'Restore it from a backup or move it aside so Sylk can recreate it.',
  },
  SQLITE_FULL: {
    code: 'storage.disk_full',
    tier: ErrorTier.UserFixable,
    describe: (p) => `no space left to write ${p}`,
    hint: 'Free some disk space and retry.',
  },
  ENOSPC: {
    code: 'storage.disk_full',
    tier: ErrorTier.UserFixable,
    describe: (p) => `no space left to write ${p}`,
    hint: 'Free some disk space and retry.',
  },
  SQLITE_CANTOPEN: {
    code: 'storage.cannot_open',
    tier: ErrorTier.UserFixable,
    describe: (p) => `cannot open database file ${p}`,
    hint: 'Check that the file and its directory exist and are readable and writable by you.',
  },
  SQLITE_PERM: {
    code: 'storage.cannot_open',
    tier: ErrorTier.UserFixable,
    describe: (p) => `permission denied for ${p}`,
    hint: 'Check the permissions of the file and its directory.',
  },
  SQLITE_READONLY: {
    code: 'storage.readonly',
    tier: ErrorTier.UserFixable,
    describe: (p) => `database ${p} is read-only`,
    hint: 'Check the permissions of the file and its directory.',
  },
};
for (const errno of ['EACCES', 'EPERM', 'ENOTDIR', 'EEXIST', 'EROFS']) {
  MAPPINGS[errno] = {
    code: 'storage.cannot_open',
    tier: ErrorTier.UserFixable,
    describe: (p) => `cannot create or open ${p}`,
    hint: 'Check that the path is a writable directory you own.',
  };
}

/**
 * Turns a better-sqlite3 or filesystem error about the database at `path` into a SylkError
 * with a stable `storage.*` code and the right tier. SylkErrors pass through unchanged.
 */
export function mapSqliteError(err: unknown, path: string, action?: string): SylkError {
  if (err instanceof SylkError) return err;
  const raw = codeOf(err);
  const mapping = raw === undefined ? undefined : MAPPINGS[primaryCode(raw)];
  if (mapping?.code === 'storage.corrupt') notifyCorruption(path);
  const prefix = action ? `${action}: ` : '';
  if (mapping === undefined) {
    return new SylkError(`${prefix}${path}: ${errorMessage(err)}`, {
      tier: ErrorTier.Permanent,
      code: 'storage.error',
      cause: err,
      details: { path, sqliteCode: raw },
    });
  }
  return new SylkError(`${prefix}${mapping.describe(path)} (${errorMessage(err)})`, {
    tier: mapping.tier,
    code: mapping.code,
    cause: err,
    ...(mapping.hint === undefined ? {} : { hint: mapping.hint }),
    details: { path, sqliteCode: raw },
  });
}

type CorruptionListener = (path: string) => void;
const corruptionListeners = new Set<CorruptionListener>();

/**
 * Calls `listener` with the database path whenever a SQLite error mapped here says the file is
 * corrupt (SQLITE_CORRUPT, SQLITE_NOTADB), so the integrity monitor can check it at once.
 * Returns the unsubscribe function.
 */
export function onCorruptionError(listener: CorruptionListener): () => void {
  corruptionListeners.add(listener);
  return () => corruptionListeners.delete(listener);
}

function notifyCorruption(path: string): void {
  for (const listener of corruptionListeners) {
    try {
      listener(path);
    } catch {
      // A listener's failure must not replace the error being mapped.
    }
  }
}
