/** A promise-chain mutex: read-modify-write sections run one at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const projectLocks = new Map<string, Mutex>();

/** One merge at a time per live project tree (within this process). */
export function projectLock(projectRealPath: string): Mutex {
  let lock = projectLocks.get(projectRealPath);
  if (lock === undefined) {
    lock = new Mutex();
    projectLocks.set(projectRealPath, lock);
  }
  return lock;
}
