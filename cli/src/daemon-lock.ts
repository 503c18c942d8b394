import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcess } from '@sylk/core';
import type { Locations } from './connection.js';

/** The daemon that holds the lock, when it is still that process (pid + start time). */
export interface LockHolder {
  pid: number;
  socket: string;
}

/**
 * Finds a running sylkd through its lock file (`<runtime>/sylkd.lock`, written by the daemon),
 * for when its socket cannot be reached: the socket file was deleted while it runs.
 */
export function daemonByLock(loc: Locations): LockHolder | undefined {
  try {
    const info = JSON.parse(readFileSync(join(loc.dirs.runtime, 'sylkd.lock'), 'utf8')) as {
      pid?: unknown;
      startTime?: unknown;
      socket?: unknown;
    };
    if (typeof info.pid !== 'number' || info.pid <= 1) return undefined;
    const startTime = typeof info.startTime === 'string' ? info.startTime : undefined;
    return isSameProcess(info.pid, startTime) ? { pid: info.pid, socket: String(info.socket ?? '') } : undefined;
  } catch {
    return undefined;
  }
}
