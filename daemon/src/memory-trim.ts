import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '@sylk/core';

export interface IdleMemoryTrimOptions {
  /** Runs one full garbage collection. */
  collect: () => void;
  /** Bytes reserved for the young generation (V8's new space). */
  youngBytes?: () => number;
  logger: Logger;
  /** How long nothing must run before trimming. */
  quietMs?: number;
  /** Pause between the collections of a trim. */
  settleMs?: number;
  /** Collections per trim at most. */
  maxCollections?: number;
}

/**
 * Gives memory back once the daemon goes quiet. Under load V8 grows the young generation to
 * 16 MB semi-spaces (32 MB resident) and keeps them while idle: a daemon that streamed a few
 * busy turns in the morning would hold that all day. V8 shrinks the young generation only in
 * a collection that sees a low, non-zero allocation rate over its last five seconds, so when
 * no turn has run for `quietMs` we collect, and collect again every `settleMs` until the young
 * generation has shrunk (at most `maxCollections` times). `--max-semi-space-size` would cap
 * it too, but only from the command line, which whoever starts sylkd may not give.
 */
export class IdleMemoryTrim {
  private busyCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly quietMs: number;
  private readonly settleMs: number;
  private readonly maxCollections: number;
  private readonly youngBytes: () => number;

  constructor(private readonly opts: IdleMemoryTrimOptions) {
    this.quietMs = opts.quietMs ?? 2000;
    this.settleMs = opts.settleMs ?? 5000;
    this.maxCollections = opts.maxCollections ?? 3;
    this.youngBytes = opts.youngBytes ?? newSpaceBytes;
  }

  /** Marks work in progress; the returned function ends it (idempotent). No trim runs meanwhile. */
  busy(): () => void {
    this.busyCount++;
    this.cancel();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.busyCount === 0) this.schedule();
    };
  }

  /** Trims after `quietMs` unless work starts first (also called once start-up is done). */
  schedule(): void {
    if (this.closed || this.busyCount > 0) return;
    this.cancel();
    this.timer = setTimeout(() => this.collect(1, this.youngBytes()), this.quietMs).unref();
  }

  close(): void {
    this.closed = true;
    this.cancel();
  }

  private collect(n: number, youngBefore: number): void {
    this.timer = undefined;
    this.opts.collect();
    const young = this.youngBytes();
    if (young < youngBefore || n >= this.maxCollections) {
      this.opts.logger.debug({ collections: n, youngBefore, youngAfter: young }, 'idle memory trim');
      return;
    }
    this.timer = setTimeout(() => this.collect(n + 1, youngBefore), this.settleMs).unref();
  }

  private cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * V8's `gc()` without starting Node with `--expose-gc`: the flag takes effect for contexts
 * created after it is set, so a fresh context hands us the function.
 */
export function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') throw new Error('V8 did not expose gc()');
  return () => void (gc as () => unknown)();
}
