import {
  ErrorTier,
  silentLogger,
  SylkError,
  systemTimers,
  type Clock,
  type Logger,
  type TimerHandle,
  type Timers,
} from '@sylk/core';
import { reserveUnits } from './fair-share.js';
import { cancelledWait, poolTimeout, tooLarge } from './pool-errors.js';

/** Who holds a unit: a session, and the pipeline within it (absent: the session's own, user-facing work). */
export interface PoolOwner {
  sessionId: string;
  pipelineId?: string;
}

export interface PoolAcquireOptions {
  owner: PoolOwner;
  /** User-interactive: never fails, takes free units, then the reserve, then preempts a pipeline holder. */
  user: boolean;
  /** Units wanted at once (default 1); granted all together or not at all. */
  units?: number;
  /** Higher first among waiting pipelines; the lowest is preempted first (default 0). */
  priority?: number;
  /** Pipelines only: fail with `resources.pool_timeout` after this long (default: the pool's; Infinity: wait forever). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Makes a pipeline lease preemptible: called when a user acquisition borrows its units (pause the holder). */
  onPreempt?: (lease: PoolLease) => void | Promise<void>;
  /** Called when the borrowed units come back (continue the holder). */
  onResume?: (lease: PoolLease) => void;
}

export interface PoolLease {
  readonly owner: PoolOwner;
  readonly user: boolean;
  readonly units: number;
  readonly priority: number;
  /** Wall-clock ms when granted (for leak reports). */
  readonly since: number;
  /** True while a user acquisition borrows this lease's units (its holder is paused). */
  readonly preempted: boolean;
  /** Gives the units back (or, for a borrower, returns them to the preempted holder); idempotent. */
  release(): void;
}

export interface ResourcePoolOptions {
  name: string;
  capacity: number;
  /** Fraction kept for user-interactive work, rounded up (default 0.2; see `reserveUnits`). */
  reserveFraction?: number;
  clock: Clock;
  timers?: Timers;
  logger?: Logger;
  /** Default pipeline wait before `resources.pool_timeout` (default 30 s). */
  pipelineTimeoutMs?: number;
  /** How long a preempting user waits for a holder's onPreempt before taking the units anyway (default 5 s). */
  preemptGraceMs?: number;
}

export interface PoolStats {
  name: string;
  capacity: number;
  reserve: number;
  inUse: number;
  reserveInUse: number;
  waiting: number;
  /** Holders paused right now, their units lent to user work. */
  preempted: number;
  /** Pipeline acquisitions that timed out, since start. */
  timeouts: number;
  /** Preemptions since start. */
  preemptions: number;
  /** Units background processes hold. */
  background: number;
}

/** How `slotPool` acquires for its owner. */
export interface SlotPoolOptions {
  /** The owner's commands are user-interactive (never fail, may preempt pipelines). */
  user: boolean;
  priority?: number;
  /** Pipelines: the wait before `resources.pool_timeout` (default: the pool's). */
  timeoutMs?: number;
  /** Offer `acquireBackground` (default true); false: background processes take no unit. */
  background?: boolean;
  /** Makes the owner's command leases preemptible (pause its process groups); called with the lease. */
  onPreempt?: (lease: PoolLease) => void | Promise<void>;
  onResume?: (lease: PoolLease) => void;
}

/** The executor's slot pool, structurally (packages/tools `SlotPool`). */
export interface SlotPoolAdapter {
  acquire(signal?: AbortSignal): Promise<PoolLease>;
  acquireBackground?(signal?: AbortSignal): Promise<PoolLease>;
}

class Holding implements PoolLease {
  released = false;
  /** The user holding that borrows this (pipeline) holding's units. */
  lentTo: Holding | undefined;
  /** Pipeline holdings this (user) holding borrows. */
  readonly borrowed = new Set<Holding>();
  /** Units of borrowed holdings whose holders released while lent: now this holding's own. */
  inherited = 0;

  constructor(
    private readonly releaser: (h: Holding) => void,
    readonly seq: number,
    readonly owner: PoolOwner,
    readonly user: boolean,
    readonly units: number,
    readonly priority: number,
    readonly since: number,
    readonly general: number,
    readonly reserve: number,
    readonly onPreempt: ((lease: PoolLease) => void | Promise<void>) | undefined,
    readonly onResume: ((lease: PoolLease) => void) | undefined,
    readonly background: boolean,
  ) {}

  get preempted(): boolean {
    return this.lentTo !== undefined;
  }

  release(): void {
    this.releaser(this);
  }
}

interface Waiter {
  seq: number;
  opts: PoolAcquireOptions;
  units: number;
  priority: number;
  background: boolean;
  enqueuedAt: number;
  granted: boolean;
  resolve: (lease: PoolLease) => void;
  reject: (err: unknown) => void;
  timer: TimerHandle | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * A counting pool with a user reserve and preemption. Pipelines take only the non-reserved units
 * and queue by priority then age, failing after a timeout; user acquisitions never fail: free
 * units, then the reserve, then the units of the lowest-priority, newest preemptible pipeline
 * holders of any session, which are paused (onPreempt) until the user releases (onResume).
 */
export class ResourcePool {
  readonly name: string;
  readonly capacity: number;
  /** Units only user-interactive work may take. */
  readonly reserve: number;
  /** Units background processes may hold together (half the pool, at least 1). */
  readonly backgroundLimit: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly pipelineTimeoutMs: number;
  private readonly preemptGraceMs: number;
  private generalUsed = 0;
  private reserveUsed = 0;
  private backgroundHeld = 0;
  private lent = 0;
  private timedOut = 0;
  private preemptionCount = 0;
  private seq = 0;
  private grants = 0;
  private readonly holdings = new Set<Holding>();
  private readonly userWaiters: Waiter[] = [];
  /** Sorted: priority descending, then age. */
  private readonly pipelineWaiters: Waiter[] = [];

  constructor(options: ResourcePoolOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1)
      throw new SylkError(`pool ${options.name}: capacity must be a positive integer, got ${options.capacity}`, {
        tier: ErrorTier.Permanent,
        code: 'resources.invalid_option',
      });
    this.name = options.name;
    this.capacity = options.capacity;
    this.reserve = reserveUnits(options.capacity, options.reserveFraction ?? 0.2);
    this.backgroundLimit = Math.max(1, Math.floor(options.capacity / 2));
    this.clock = options.clock;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? silentLogger();
    this.pipelineTimeoutMs = options.pipelineTimeoutMs ?? 30_000;
    this.preemptGraceMs = options.preemptGraceMs ?? 5_000;
  }

  get inUse(): number {
    return this.generalUsed + this.reserveUsed;
  }

  get reserveInUse(): number {
    return this.reserveUsed;
  }

  get waiting(): number {
    return this.userWaiters.length + this.pipelineWaiters.length;
  }

  get preempted(): number {
    return this.lent;
  }

  get timeouts(): number {
    return this.timedOut;
  }

  get background(): number {
    return this.backgroundHeld;
  }

  stats(): PoolStats {
    return {
      name: this.name,
      capacity: this.capacity,
      reserve: this.reserve,
      inUse: this.inUse,
      reserveInUse: this.reserveUsed,
      waiting: this.waiting,
      preempted: this.lent,
      timeouts: this.timedOut,
      preemptions: this.preemptionCount,
      background: this.backgroundHeld,
    };
  }

  /** Current holders, oldest first (for `sylk top` and leak reports). */
  leases(): PoolLease[] {
    return [...this.holdings];
  }

  acquire(opts: PoolAcquireOptions): Promise<PoolLease> {
    return this.enqueue(opts, false);
  }

  /** An adapter for one owner that the tool executor takes as its `slots` (one per session or pipeline). */
  slotPool(owner: PoolOwner, opts: SlotPoolOptions): SlotPoolAdapter {
    const { user, priority, timeoutMs, onPreempt, onResume } = opts;
    const acquire = (signal?: AbortSignal): Promise<PoolLease> =>
      this.acquire({ owner, user, priority, timeoutMs, signal, onPreempt, onResume });
    if (opts.background === false) return { acquire };
    return {
      acquire,
      acquireBackground: (signal?: AbortSignal) => this.acquireBackground({ owner, priority, timeoutMs, signal }),
    };
  }

  /**
   * A unit a background process (dev server, watcher) holds for its whole life: queued like a
   * pipeline's (never the reserve, never preempted), and refused with `resources.pool_full` while
   * background processes already hold their share (half the pool).
   */
  acquireBackground(opts: Omit<PoolAcquireOptions, 'user' | 'units' | 'onPreempt' | 'onResume'>): Promise<PoolLease> {
    if (this.backgroundHeld >= this.backgroundLimit)
      return Promise.reject(
        new SylkError(
          `background processes already hold ${this.backgroundHeld} of the ${this.capacity} ${this.name} units (their share)`,
          {
            tier: ErrorTier.Transient,
            code: 'resources.pool_full',
            details: { pool: this.name, background: this.backgroundHeld, limit: this.backgroundLimit },
            hint: 'Stop a background process (stop_process, or `sylk ps` then `sylk ps stop <id>`) before starting another.',
          },
        ),
      );
    return this.enqueue({ ...opts, user: false }, true);
  }

  private enqueue(opts: PoolAcquireOptions, background: boolean): Promise<PoolLease> {
    const units = opts.units ?? 1;
    const limit = opts.user ? this.capacity : this.capacity - this.reserve;
    if (!Number.isInteger(units) || units < 1 || units > limit)
      return Promise.reject(tooLarge(this.name, units, limit, opts.user));
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(cancelledWait(`the ${this.name} pool`, signal));
    if (background) this.backgroundHeld++;
    return new Promise<PoolLease>((resolve, reject) => {
      const w: Waiter = {
        seq: ++this.seq,
        opts,
        units,
        priority: opts.priority ?? 0,
        background,
        enqueuedAt: this.clock.monotonic(),
        granted: false,
        resolve,
        reject: (err) => {
          // A granted holding gives its background unit back when released.
          if (background && !w.granted) this.backgroundHeld--;
          reject(err);
        },
        timer: undefined,
        onAbort: undefined,
      };
      if (opts.user) this.userWaiters.push(w);
      else insertSorted(this.pipelineWaiters, w);
      this.pump();
      if (!this.isWaiting(w)) return;
      if (signal !== undefined) {
        w.onAbort = () => {
          if (!this.removeWaiter(w)) return;
          w.reject(cancelledWait(`the ${this.name} pool`, signal));
          this.pump();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      const timeoutMs = opts.user ? Infinity : (opts.timeoutMs ?? this.pipelineTimeoutMs);
      if (Number.isFinite(timeoutMs))
        w.timer = this.timers.setTimeout(
          () => {
            w.timer = undefined;
            if (!this.removeWaiter(w)) return;
            this.timedOut++;
            const waited = Math.round(this.clock.monotonic() - w.enqueuedAt);
            w.reject(poolTimeout(this.name, w.units, waited, this.inUse, this.capacity));
            this.pump();
          },
          Math.max(0, timeoutMs),
        );
    });
  }

  /** Grants waiters from the head: users first (FIFO), then pipelines by priority and age; nobody overtakes a blocked head. */
  private pump(): void {
    for (;;) {
      const user = this.userWaiters[0];
      if (user !== undefined) {
        if (!this.grantUser(user)) return;
        this.userWaiters.shift();
        continue;
      }
      const pipeline = this.pipelineWaiters[0];
      if (pipeline === undefined || this.capacity - this.reserve - this.generalUsed < pipeline.units) return;
      this.pipelineWaiters.shift();
      this.generalUsed += pipeline.units;
      this.settle(pipeline, this.hold(pipeline, pipeline.units, 0));
    }
  }

  private grantUser(w: Waiter): boolean {
    const freeGeneral = this.capacity - this.reserve - this.generalUsed;
    const freeReserve = this.reserve - this.reserveUsed;
    const general = Math.min(w.units, freeGeneral);
    const reserve = Math.min(w.units - general, freeReserve);
    let missing = w.units - general - reserve;
    const victims: Holding[] = [];
    if (missing > 0) {
      for (const h of this.preemptible()) {
        victims.push(h);
        missing -= h.general;
        if (missing <= 0) break;
      }
      if (missing > 0) return false;
    }
    this.generalUsed += general;
    this.reserveUsed += reserve;
    const holding = this.hold(w, general, reserve);
    if (victims.length === 0) {
      this.settle(w, holding);
      return true;
    }
    const pauses: Array<Promise<void>> = [];
    for (const v of victims) {
      v.lentTo = holding;
      holding.borrowed.add(v);
      this.lent++;
      this.preemptionCount++;
      this.logger.debug(
        { pool: this.name, victim: v.owner, by: holding.owner, units: v.general },
        'pipeline holder preempted by user work',
      );
      pauses.push(this.callPreempt(v));
    }
    void this.afterPauses(pauses).then(() => this.settle(w, holding));
    return true;
  }

  /** Pipeline holders that can be paused: lowest priority first, then newest. */
  private preemptible(): Holding[] {
    const out: Holding[] = [];
    for (const h of this.holdings)
      if (!h.user && !h.background && h.onPreempt !== undefined && h.lentTo === undefined && h.general > 0) out.push(h);
    return out.sort((a, b) => a.priority - b.priority || b.seq - a.seq);
  }

  private async callPreempt(v: Holding): Promise<void> {
    try {
      await v.onPreempt?.(v);
    } catch (err) {
      this.logger.warn({ err, pool: this.name, owner: v.owner }, 'onPreempt failed; its units are lent anyway');
    }
  }

  private afterPauses(pauses: Array<Promise<void>>): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.timers.setTimeout(() => {
        this.logger.warn({ pool: this.name }, 'preempted holder did not pause within the grace period');
        resolve();
      }, this.preemptGraceMs);
      void Promise.all(pauses).then(() => {
        this.timers.clearTimeout(timer);
        resolve();
      });
    });
  }

  private hold(w: Waiter, general: number, reserve: number): Holding {
    w.granted = true;
    const h = new Holding(
      (x) => this.releaseHolding(x),
      ++this.grants,
      w.opts.owner,
      w.opts.user,
      w.units,
      w.priority,
      this.clock.now(),
      general,
      reserve,
      w.opts.onPreempt,
      w.opts.onResume,
      w.background,
    );
    this.holdings.add(h);
    return h;
  }

  /** Hands a granted holding to its waiter, unless the waiter gave up meanwhile. */
  private settle(w: Waiter, h: Holding): void {
    if (w.timer !== undefined) this.timers.clearTimeout(w.timer);
    if (w.onAbort !== undefined) w.opts.signal?.removeEventListener('abort', w.onAbort);
    const signal = w.opts.signal;
    if (signal?.aborted) {
      this.releaseHolding(h);
      w.reject(cancelledWait(`the ${this.name} pool`, signal));
      return;
    }
    w.resolve(h);
  }

  private releaseHolding(h: Holding): void {
    if (h.released) return;
    h.released = true;
    this.holdings.delete(h);
    if (h.background) this.backgroundHeld--;
    const borrower = h.lentTo;
    if (borrower !== undefined) {
      // Released while paused: the borrower keeps the units as its own.
      borrower.borrowed.delete(h);
      borrower.inherited += h.general;
      h.lentTo = undefined;
      this.lent--;
    } else {
      this.generalUsed -= h.general + h.inherited;
      this.reserveUsed -= h.reserve;
      for (const v of h.borrowed) {
        v.lentTo = undefined;
        this.lent--;
        try {
          v.onResume?.(v);
        } catch (err) {
          this.logger.warn({ err, pool: this.name, owner: v.owner }, 'onResume failed');
        }
      }
      h.borrowed.clear();
    }
    this.pump();
  }

  private isWaiting(w: Waiter): boolean {
    return (w.opts.user ? this.userWaiters : this.pipelineWaiters).includes(w);
  }

  private removeWaiter(w: Waiter): boolean {
    const list = w.opts.user ? this.userWaiters : this.pipelineWaiters;
    const at = list.indexOf(w);
    if (at === -1) return false;
    list.splice(at, 1);
    if (w.onAbort !== undefined) w.opts.signal?.removeEventListener('abort', w.onAbort);
    if (w.timer !== undefined) this.timers.clearTimeout(w.timer);
    return true;
  }
}

function insertSorted(list: Waiter[], w: Waiter): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = list[mid] as Waiter;
    if (m.priority > w.priority || (m.priority === w.priority && m.seq < w.seq)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, w);
}
