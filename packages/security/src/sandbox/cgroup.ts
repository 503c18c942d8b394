import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per-command pids cgroups, where sylkd may create them (root on cgroup v1, or a delegated
 * cgroup v2 subtree). They bound the number of processes for callers RLIMIT_NPROC does not bind:
 * the kernel exempts root's processes from RLIMIT_NPROC even inside a user namespace. For other
 * users prlimit's RLIMIT_NPROC is counted per user namespace (Linux ≥ 5.14), i.e. per sandbox.
 */
export class PidsCgroups {
  private readonly base: string | undefined;
  private seq = 0;
  /** Empty groups kept for reuse: creating and removing a cgroup costs several ms per command. */
  private readonly free: string[] = [];

  constructor(base: string | undefined) {
    this.base = base;
  }

  get available(): boolean {
    return this.base !== undefined;
  }

  /** A fresh cgroup limited to `maxPids`, or undefined when none can be made. */
  create(maxPids: number): { procsFile: string; release: () => void } | undefined {
    if (this.base === undefined) return undefined;
    const reused = this.free.pop();
    const dir = reused ?? join(this.base, `cmd-${process.pid}-${++this.seq}`);
    try {
      if (reused === undefined) mkdirSync(dir);
      writeFileSync(join(dir, 'pids.max'), maxPids > 0 ? String(maxPids) : 'max');
    } catch {
      removeQuietly(dir);
      return undefined;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      // Reuse only an empty group; one with stragglers is left for the next daemon start to remove.
      if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === '' && this.free.length < 32) this.free.push(dir);
      else removeQuietly(dir);
    };
    return { procsFile: join(dir, 'cgroup.procs'), release };
  }

  /** Remove the groups kept for reuse (daemon shutdown). */
  close(): void {
    for (const dir of this.free.splice(0)) removeQuietly(dir);
  }

  /** Find (and create) a sylk parent cgroup under this process's pids cgroup; undefined when not permitted. */
  static detect(readFile: (path: string) => string | undefined = tryRead): PidsCgroups {
    const self = readFile('/proc/self/cgroup') ?? '';
    const candidates: string[] = [];
    for (const line of self.split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path === undefined) continue;
      if (controllers?.split(',').includes('pids')) candidates.push(join('/sys/fs/cgroup/pids', path));
      else if (
        controllers === '' &&
        (readFile(join('/sys/fs/cgroup', path, 'cgroup.controllers')) ?? '').split(/\s+/).includes('pids')
      ) {
        candidates.push(join('/sys/fs/cgroup', path));
      }
    }
    for (const parent of candidates) {
      const dir = join(parent, 'sylk-sandbox');
      try {
        mkdirSync(dir, { recursive: true });
        // cgroup v2 only: enable the pids controller for the children (fails when not delegated).
        if (!parent.startsWith('/sys/fs/cgroup/pids')) writeFileSync(join(dir, 'cgroup.subtree_control'), '+pids');
        // Empty groups left by a daemon that crashed (rmdir fails on a group still in use). Only
        // a dead daemon's: another live sylkd (another SYLK_HOME) keeps empty groups for reuse.
        for (const child of readdirSync(dir)) if (leftBehind(child)) removeQuietly(join(dir, child));
        return new PidsCgroups(dir);
      } catch {
        // not permitted here
      }
    }
    return new PidsCgroups(undefined);
  }
}

/**
 * `cmd-<pid>-<n>` of a daemon that is no longer running.
 * @internal exported for tests
 */
export function leftBehind(name: string): boolean {
  const owner = /^cmd-(\d+)-\d+$/.exec(name)?.[1];
  if (owner === undefined) return false;
  const pid = Number(owner);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function removeQuietly(dir: string): void {
  // The group is empty once the command's processes are reaped; a straggler leaves an empty dir behind.
  for (let i = 0; i < 3; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    }
  }
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
