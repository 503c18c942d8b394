import { readdirSync, readFileSync } from 'node:fs';

/** Send a signal to every member of a process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false; // never -1 (everything) or -0 (our own group)
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Linux: members of the group that are not zombies. Zombies still answer kill(-pgid, 0) but
 * cannot be killed any further; under a PID 1 that does not reap (some containers) they linger.
 */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Whether any live process remains in the group. */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  return liveGroupMembers(pgid).length > 0;
}

/**
 * Linux: the live members of a group and all their descendants, wherever they are (a sandbox runs
 * its command in a session and group of its own). Elsewhere: the group leader only.
 */
function processTree(pgid: number): number[] {
  if (process.platform !== 'linux') return [pgid];
  const procs: Array<{ pid: number; ppid: number; pgrp: number }> = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pgid];
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (rest[0] !== 'Z' && rest[0] !== 'X')
        procs.push({ pid: Number(entry), ppid: Number(rest[1]), pgrp: Number(rest[2]) });
    } catch {
      // exited meanwhile
    }
  }
  const tree = new Set(procs.filter((p) => p.pgrp === pgid).map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
  }
  return [...tree];
}

/**
 * Stops (SIGSTOP) or continues (SIGCONT) a command's whole process tree. Stopping walks the tree
 * again until a walk finds no process it has not stopped yet: a process that forked while the
 * walk went on has its child caught the next time round (bounded, for a tree forking faster than
 * /proc can be read).
 */
export function signalTree(pgid: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  signalGroup(pgid, signal);
  const signalled = new Set<number>();
  const maxPasses = signal === 'SIGSTOP' ? 8 : 1;
  for (let pass = 0; pass < maxPasses; pass++) {
    let fresh = 0;
    for (const pid of processTree(pgid)) {
      if (signalled.has(pid)) continue;
      signalled.add(pid);
      fresh++;
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
    if (fresh === 0) break;
  }
}
