import { errorMessage, type Clock } from '@sylk/core';

/**
 * How hard the daemon is pressed for memory, mildest first. Each level includes the actions of
 * the ones before it: `evict` asks components over their budget to shrink, `pause_new_pipelines`
 * starts no new pipeline (and pauses the lowest-value running ones, one at a time),
 * `pause_all_but_user` pauses every pipeline; user-interactive work is never paused.
 */
const PRESSURE_LEVELS = ['normal', 'evict', 'pause_new_pipelines', 'pause_all_but_user'] as const;
export type PressureLevel = (typeof PRESSURE_LEVELS)[number];

/** Rank of a level in PRESSURE_LEVELS (0 = normal). */
export function pressureRank(level: PressureLevel): number {
  return PRESSURE_LEVELS.indexOf(level);
}

/** Something in the daemon that holds memory it can measure and, often, give back. */
export interface MemoryComponent {
  readonly name: string;
  /** Bytes it holds now (an estimate is fine: it is compared with its budget). */
  bytes(): number;
  /** Shrink to at most `targetBytes`; returns the bytes released. */
  evict?(targetBytes: number): number;
}

/** Fractions of the ceiling at which each level starts. */
export interface MemoryThresholds {
  evict: number;
  pauseNewPipelines: number;
  pauseAllButUser: number;
}

export const DEFAULT_MEMORY_THRESHOLDS: Readonly<MemoryThresholds> = Object.freeze({
  evict: 0.7,
  pauseNewPipelines: 0.8,
  pauseAllButUser: 0.95,
});

/** Interval timers, injected so tests drive sampling by hand. */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Node's timers, unref'd: a sampling loop never keeps the process alive. */
export const nodeIntervalTimers: IntervalTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface MemoryState {
  level: PressureLevel;
  usedBytes: number;
  ceilingBytes: number;
  /** When the current level was entered (clock.now()). */
  since: number;
  components: {
    name: string;
    bytes: number;
    budgetBytes: number;
    /** Bytes it released on request since the monitor started. */
    evictedBytes: number;
  }[];
}

export interface LevelChange {
  from: PressureLevel;
  to: PressureLevel;
  usedBytes: number;
  ceilingBytes: number;
  at: number;
}

export interface MemoryMonitorOptions {
  /** The configured ceiling now (config reloads apply at the next sample). */
  ceilingBytes: () => number;
  thresholds?: () => MemoryThresholds;
  /**
   * Fraction of the ceiling the use must fall below a level's threshold before the level is left:
   * a reading hovering around a threshold does not flap. Default 0.05.
   */
  hysteresis?: () => number;
  /** The memory in use now (sylkd passes its RSS). */
  readUsedBytes: () => number;
  intervalMs: number;
  clock: Clock;
  timers?: IntervalTimers;
  onLevelChange?: (change: LevelChange) => void;
  /** Told after components released memory (the daemon runs a collection). */
  onEvicted?: (bytes: number) => void;
  /** A reading or a component failed; sampling goes on. */
  onError?: (err: unknown, where: string) => void;
}

interface Registered {
  component: MemoryComponent;
  budgetBytes: number;
  evictedBytes: number;
}

/**
 * Samples the daemon's memory on an interval and turns it into a {@link PressureLevel}: up as
 * soon as a threshold is reached, down only once the use is `hysteresis` below it. From `evict`
 * up, every sample asks components over their budget to shrink to it, then (largest first) the
 * others for what is still over the evict threshold.
 */
export class MemoryMonitor {
  private readonly components = new Map<string, Registered>();
  private readonly timers: IntervalTimers;
  private handle: unknown;
  private level: PressureLevel = 'normal';
  private since: number;
  private usedBytes = 0;
  private ceiling = 0;

  constructor(private readonly opts: MemoryMonitorOptions) {
    this.timers = opts.timers ?? nodeIntervalTimers;
    this.since = opts.clock.now();
  }

  /** Adds a component with its budget; the returned function removes it. */
  register(component: MemoryComponent, budgetBytes: number): () => void {
    const entry: Registered = { component, budgetBytes, evictedBytes: 0 };
    this.components.set(component.name, entry);
    return () => {
      if (this.components.get(component.name) === entry) this.components.delete(component.name);
    };
  }

  start(): void {
    if (this.handle !== undefined) return;
    this.sample();
    this.handle = this.timers.setInterval(() => this.sample(), this.opts.intervalMs);
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  get currentLevel(): PressureLevel {
    return this.level;
  }

  /** Reads the memory in use, moves the level and evicts; returns the state after it. */
  sample(): MemoryState {
    try {
      this.usedBytes = this.opts.readUsedBytes();
      this.ceiling = Math.max(1, this.opts.ceilingBytes());
    } catch (err) {
      this.opts.onError?.(err, 'memory reading');
      return this.state();
    }
    const thresholds = this.opts.thresholds?.() ?? DEFAULT_MEMORY_THRESHOLDS;
    const hysteresis = this.opts.hysteresis?.() ?? 0.05;
    const next = levelFor(this.usedBytes / this.ceiling, this.level, thresholds, hysteresis);
    if (next !== this.level) {
      const change: LevelChange = {
        from: this.level,
        to: next,
        usedBytes: this.usedBytes,
        ceilingBytes: this.ceiling,
        at: this.opts.clock.now(),
      };
      this.level = next;
      this.since = change.at;
      this.opts.onLevelChange?.(change);
    }
    if (pressureRank(this.level) >= pressureRank('evict')) {
      const overBy = Math.round(this.usedBytes - (thresholds.evict - hysteresis) * this.ceiling);
      const released = this.evict(Math.max(0, overBy));
      if (released > 0) this.opts.onEvicted?.(released);
    }
    return this.state();
  }

  /** Components over budget shrink to it; then the largest others give up what is still over. */
  private evict(overBy: number): number {
    let released = 0;
    const sizes = new Map<Registered, number>();
    for (const entry of this.components.values()) {
      const bytes = this.bytesOf(entry);
      sizes.set(entry, bytes);
      if (bytes > entry.budgetBytes) {
        const freed = this.ask(entry, entry.budgetBytes);
        sizes.set(entry, bytes - freed);
        released += freed;
      }
    }
    let remaining = overBy - released;
    const largest = [...sizes].filter(([e, b]) => b > 0 && e.component.evict !== undefined).sort((a, b) => b[1] - a[1]);
    for (const [entry, bytes] of largest) {
      if (remaining <= 0) break;
      const freed = this.ask(entry, Math.max(0, bytes - remaining));
      remaining -= freed;
      released += freed;
    }
    return released;
  }

  private bytesOf(entry: Registered): number {
    try {
      return entry.component.bytes();
    } catch (err) {
      this.opts.onError?.(err, `component ${entry.component.name}`);
      return 0;
    }
  }

  private ask(entry: Registered, targetBytes: number): number {
    if (entry.component.evict === undefined) return 0;
    try {
      const freed = Math.max(0, entry.component.evict(targetBytes));
      entry.evictedBytes += freed;
      return freed;
    } catch (err) {
      this.opts.onError?.(new Error(`evicting ${entry.component.name}: ${errorMessage(err)}`), 'eviction');
      return 0;
    }
  }

  state(): MemoryState {
    return {
      level: this.level,
      usedBytes: this.usedBytes,
      ceilingBytes: this.ceiling,
      since: this.since,
      components: [...this.components.values()].map((e) => ({
        name: e.component.name,
        bytes: this.bytesOf(e),
        budgetBytes: e.budgetBytes,
        evictedBytes: e.evictedBytes,
      })),
    };
  }
}

function threshold(level: PressureLevel, t: MemoryThresholds): number {
  switch (level) {
    case 'normal':
      return 0;
    case 'evict':
      return t.evict;
    case 'pause_new_pipelines':
      return t.pauseNewPipelines;
    case 'pause_all_but_user':
      return t.pauseAllButUser;
  }
}

/**
 * The level for a use of `fraction` of the ceiling, coming from `current`: any level whose
 * threshold is reached at once; a lower one only when the use is `hysteresis` below the
 * current one's threshold (and then the highest level it is not that far below).
 * @internal exported for tests
 */
export function levelFor(
  fraction: number,
  current: PressureLevel,
  t: MemoryThresholds,
  hysteresis: number,
): PressureLevel {
  let raw: PressureLevel = 'normal';
  for (const level of PRESSURE_LEVELS) if (fraction >= threshold(level, t)) raw = level;
  if (pressureRank(raw) >= pressureRank(current)) return raw;
  for (let rank = pressureRank(current); rank > 0; rank--) {
    const level = PRESSURE_LEVELS[rank] as PressureLevel;
    if (fraction >= threshold(level, t) - hysteresis) return level;
  }
  return 'normal';
}

/**
 * The default memory ceiling: a quarter of the machine's memory, between 512 MiB and 4 GiB —
 * room for a busy fleet without letting the daemon crowd out the user's own programs.
 */
export function defaultMemoryCeilingBytes(totalMemBytes: number): number {
  const MiB = 1024 * 1024;
  return Math.round(Math.min(4096 * MiB, Math.max(512 * MiB, totalMemBytes / 4)));
}
