import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * True when a process with this pid exists and is not a zombie (EPERM still means it
 * exists). A zombie has exited but was not reaped yet — common under a container's PID 1
 * that reaps nothing — and must count as dead, or a `kill -9`'d daemon would block the next.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * An opaque token for when a process started, to tell a live process from a
 * recycled pid. Linux: field 22 of /proc/<pid>/stat (clock ticks since boot);
 * elsewhere: `ps -o lstart=`. Undefined when the process does not exist.
 */
export function processStartTime(pid: number): string | undefined {
  if (!isProcessAlive(pid)) return undefined;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return rest[19];
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

/** Alive and still the same process that was recorded (pid-reuse safe). */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  if (startTime === undefined) return isProcessAlive(pid);
  return processStartTime(pid) === startTime;
}
