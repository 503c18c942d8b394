import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { SylkError, ErrorTier, isSameProcess, processStartTime } from '@sylk/core';

/** What the lock file holds: enough to tell a live daemon from a stale file after `kill -9`. */
export interface LockInfo {
  pid: number;
  startTime: string | undefined;
  socket: string;
  version: string;
}

const GUARD_STALE_MS = 5_000;

function readLock(path: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      startTime: parsed.startTime,
      socket: String(parsed.socket ?? ''),
      version: String(parsed.version ?? ''),
    };
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SylkError(`cannot create lock file ${path}: ${(err as Error).message}`, {
      code: 'daemon.lock_failed',
      tier: ErrorTier.UserFixable,
      cause: err,
    });
  }
  try {
    writeSync(fd, JSON.stringify(info));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The running daemon recorded in the lock file, if it is still that process. */
export function liveLockHolder(path: string): LockInfo | undefined {
  const info = readLock(path);
  if (info === undefined) return undefined;
  return isSameProcess(info.pid, info.startTime) ? info : undefined;
}

/**
 * Take the single-instance lock. A lock whose process is gone (or whose pid was
 * recycled: start time differs) is stale and reclaimed. Reclaiming goes through a
 * short-lived guard file so two starters racing over one stale lock cannot both
 * delete it and both win.
 */
export function acquireLock(path: string, socket: string, version: string): LockInfo {
  const mine: LockInfo = { pid: process.pid, startTime: processStartTime(process.pid), socket, version };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(path, mine)) return mine;
    const holder = readLock(path);
    if (holder !== undefined && isSameProcess(holder.pid, holder.startTime)) {
      throw new SylkError(`sylkd is already running (pid ${holder.pid}, socket ${holder.socket})`, {
        code: 'daemon.already_running',
        tier: ErrorTier.UserFixable,
        hint: 'use `sylk daemon stop` or `sylk daemon restart` to replace it',
        details: { pid: holder.pid, socket: holder.socket },
      });
    }
    reclaimStale(path, holder);
  }
  throw new SylkError(`could not take the daemon lock ${path} (contended)`, {
    code: 'daemon.lock_failed',
    tier: ErrorTier.Transient,
  });
}

function reclaimStale(path: string, seen: LockInfo | undefined): void {
  const guard = `${path}.reclaim`;
  if (!tryCreate(guard, { pid: process.pid, startTime: undefined, socket: '', version: '' })) {
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch {
      // The guard vanished meanwhile: its owner finished; just retry.
    }
    return;
  }
  try {
    const now = readLock(path);
    // Only remove the exact stale lock we judged; a fresh lock written meanwhile is kept.
    const unchanged =
      now === undefined
        ? seen === undefined
        : seen !== undefined && now.pid === seen.pid && now.startTime === seen.startTime;
    if (unchanged && (now === undefined || !isSameProcess(now.pid, now.startTime))) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // ignore
    }
  }
}

/** Remove the lock only if it is ours. */
export function releaseLock(path: string): void {
  const info = readLock(path);
  if (info?.pid === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}
