import { lockPath, resolveDirs } from '@sylk/config/paths';
import { liveLockHolder } from './lock.js';
import { startIntegrityChecks, type StartChecks } from './storage-guard.js';

/**
 * `sylkd --foreground` begins the start-up integrity check of system.db before it imports the
 * daemon: its worker thread runs while the code loads, and Daemon.start takes the result (the
 * session logs are checked once it serves). None while another sylkd holds the lock (this one
 * will not start; Daemon.start says so).
 */
export function earlyIntegrityChecks(env: Readonly<Record<string, string | undefined>>): StartChecks | undefined {
  const dirs = resolveDirs(env);
  return liveLockHolder(lockPath(dirs)) === undefined ? startIntegrityChecks(dirs) : undefined;
}
