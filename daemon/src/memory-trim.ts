import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '@sylk/core';

export interface IdleMemoryTrimOptions {
  /** Runs one full garbage collection. */
  collect: () => void;
  logger: Logger;
  /** Fraction of time the event loop was busy since the previous call (0–1). */
  utilization?: () => number;
  /** Bytes reserved for the young generation (V8's new space). */
  youngBytes?: () => number;
  /** How often the daemon's activity is looked at. */
  checkMs?: number;
  /** Below this event-loop utilization an interval counts as quiet. */
  quietBelow?: number;
  /** Collections per quiet spell at most (the release collection aside). */
  maxCollections?: number;
  /** Quiet time after the young generation shrank before the collection that returns its pages. */
  releaseAfterMs?: number;
  /** Monotonic milliseconds. */
  now?: () => number;
}

/** V8 pools the pages a collection frees and returns them in a collection `--memory-pool-timeout` (8 s) later. */
const POOL_RELEASE_MS = 10_000;

/**
 * Gives memory back once the daemon goes quiet. Under load V8 grows the young generation to
 * 16 MB semi-spaces (32 MB resident) and keeps them while idle: a daemon that streamed a few
 * busy turns in the morning would hold that all day. `--max-semi-space-size` would cap them,
 * but only from the command line, which whoever starts sylkd may not give.
 *
 * Every `checkMs` the trim looks at event-loop utilization. After an interval with work in it,
 * each quiet interval runs one full collection until the young generation has shrunk (at most
 * `maxCollections`): V8 shrinks it only in a collection that sees a low, non-zero allocation
 * rate over the last seconds, which the first quiet collection usually does not yet see. The
 * pages it gave up stay in V8's memory pool until a collection at least `--memory-pool-timeout`
 * later, so once the quiet has lasted `releaseAfterMs` more, one last collection returns them to
 * the system. A turn waiting hours for an approval is quiet too. Then nothing until the next busy
 * interval.
 */
export class IdleMemoryTrim {
  private readonly timer: NodeJS.Timeout;
  private readonly utilization: () => number;
  private readonly youngBytes: () => number;
  private readonly quietBelow: number;
  private readonly maxCollections: number;
  private readonly releaseAfterMs: number;
  private readonly now: () => number;
  /** Work happened since the last completed trim (start-up counts). */
  private worked = true;
  private collections = 0;
  private youngBefore = 0;
  /** When the collection that returns the pooled pages is due (a trim finished in this quiet spell). */
  private releaseAt: number | undefined;

  constructor(private readonly opts: IdleMemoryTrimOptions) {
    this.utilization = opts.utilization ?? eventLoopUtilization();
    this.youngBytes = opts.youngBytes ?? newSpaceBytes;
    this.quietBelow = opts.quietBelow ?? 0.02;
    this.maxCollections = opts.maxCollections ?? 4;
    this.releaseAfterMs = opts.releaseAfterMs ?? POOL_RELEASE_MS;
    this.now = opts.now ?? (() => performance.now());
    this.timer = setInterval(() => this.check(), opts.checkMs ?? 3000).unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Memory was let go without a busy interval (idle sessions unloaded): the next quiet intervals collect it. */
  released(): void {
    this.worked = true;
    this.collections = 0;
    this.releaseAt = undefined;
  }

  private check(): void {
    if (this.utilization() >= this.quietBelow) {
      this.released();
      return;
    }
    if (!this.worked) {
      if (this.releaseAt !== undefined && this.now() >= this.releaseAt) {
        this.releaseAt = undefined;
        this.collect();
      }
      return;
    }
    if (this.collections === 0) this.youngBefore = this.youngBytes();
    this.collect();
    this.collections++;
    const young = this.youngBytes();
    if (young < this.youngBefore || this.collections >= this.maxCollections) {
      this.opts.logger.debug(
        { collections: this.collections, youngBefore: this.youngBefore, youngAfter: young },
        'idle memory trim',
      );
      this.worked = false;
      this.collections = 0;
      this.releaseAt = this.now() + this.releaseAfterMs;
    }
  }

  private collect(): void {
    this.opts.collect();
    this.utilization(); // the collection's own pause is not activity
  }
}

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Event-loop utilization over each interval between calls. */
function eventLoopUtilization(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    return delta.utilization;
  };
}

/**
 * V8's `gc()` without starting Node with `--expose-gc`: the flag takes effect for contexts
 * created after it is set, so a fresh context hands us the function. Undefined if this V8
 * does not (then there is no trim; nothing else depends on it).
 */
export function fullCollection(): (() => void) | undefined {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as unknown;
  return typeof gc === 'function' ? () => void (gc as () => unknown)() : undefined;
}
