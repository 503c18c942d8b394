import { ErrorTier, SylkError, errorMessage, type Clock } from '@sylk/core';
import { nodeIntervalTimers, type IntervalTimers } from './memory.js';

const GiB = 1024 ** 3;

/**
 * `max(1 GiB, min(20 GiB, 10% of the free space))`: the quota when none is configured.
 * @internal exported for tests
 */
export function defaultDiskQuotaBytes(freeBytes: number): number {
  return Math.max(GiB, Math.min(20 * GiB, Math.floor(freeBytes / 10)));
}

/** One kind of Sylk data that may be deleted to get under the quota, in the order they are tried. */
export interface DiskCleaner {
  readonly name: string;
  /** Deletes what it may (old, inactive) until about `bytes` are freed; returns the bytes freed. */
  clean(bytes: number): Promise<number>;
}

/** `ok` < `warn` (80%) < `clean` (90%: cleaners run) < `full` (at the quota: no new pipelines). */
export type DiskLevel = 'ok' | 'warn' | 'clean' | 'full';

export interface DiskState {
  level: DiskLevel;
  usedBytes: number;
  quotaBytes: number;
  /** True when the quota is the default (derived from the free space), not configured. */
  quotaDerived: boolean;
  /** The last cleanup: when, and the bytes each cleaner freed. */
  lastCleanup: { at: number; freed: Record<string, number> } | undefined;
}

export interface DiskQuotaOptions {
  /** Bytes Sylk's own data uses (a DiskUsage's refresh). */
  measure: () => Promise<number>;
  /** The configured quota in bytes; 0 = the default from the free space. */
  configuredBytes: () => number;
  /** Free bytes on the data directory's filesystem (sylkd passes fs.statfs). */
  freeBytes: () => Promise<number>;
  cleaners: readonly DiskCleaner[];
  /** Fractions of the quota, now. Default 0.8 and 0.9. */
  levels?: () => { warnAt: number; cleanAt: number };
  intervalMs: number;
  clock: Clock;
  timers?: IntervalTimers;
  /** How to raise the quota, for the error a full quota gives. */
  fix: string;
  onLevelChange?: (state: DiskState, previous: DiskLevel) => void;
  /** A cleanup freed space. */
  onCleanup?: (freed: Record<string, number>, state: DiskState) => void;
  onError?: (err: unknown, where: string) => void;
}

/**
 * The quota on Sylk's own data: measured on an interval, `warn` at 80%, at 90% the cleaners run
 * in order (each asked for what is still over 80%), and at 100% new pipelines are refused
 * ({@link assertRoom}).
 */
export class DiskQuota {
  private readonly timers: IntervalTimers;
  private handle: unknown;
  private current: DiskState = {
    level: 'ok',
    usedBytes: 0,
    quotaBytes: 0,
    quotaDerived: true,
    lastCleanup: undefined,
  };
  private running: Promise<DiskState> | undefined;

  constructor(private readonly opts: DiskQuotaOptions) {
    this.timers = opts.timers ?? nodeIntervalTimers;
  }

  start(): void {
    if (this.handle !== undefined) return;
    void this.check();
    this.handle = this.timers.setInterval(() => void this.check(), this.opts.intervalMs);
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  /** Waits for a check in progress. */
  async idle(): Promise<void> {
    await this.running;
  }

  state(): DiskState {
    return this.current;
  }

  /** Measures, cleans when at the clean threshold, and moves the level; one check at a time. */
  check(): Promise<DiskState> {
    this.running ??= this.doCheck().finally(() => (this.running = undefined));
    return this.running;
  }

  private async doCheck(): Promise<DiskState> {
    try {
      const quota = await this.quota();
      let used = await this.opts.measure();
      let lastCleanup = this.current.lastCleanup;
      if (used >= this.cleanAt * quota.bytes) {
        const freed = await this.clean(used - this.warnAt * quota.bytes);
        if (Object.values(freed).some((b) => b > 0)) {
          used = await this.opts.measure();
          lastCleanup = { at: this.opts.clock.now(), freed };
        }
      }
      this.update({ usedBytes: used, quotaBytes: quota.bytes, quotaDerived: quota.derived, lastCleanup });
    } catch (err) {
      this.opts.onError?.(err, 'disk check');
    }
    return this.current;
  }

  private async quota(): Promise<{ bytes: number; derived: boolean }> {
    const configured = this.opts.configuredBytes();
    if (configured > 0) return { bytes: configured, derived: false };
    return { bytes: defaultDiskQuotaBytes(await this.opts.freeBytes()), derived: true };
  }

  private async clean(toFree: number): Promise<Record<string, number>> {
    const freed: Record<string, number> = {};
    let remaining = toFree;
    for (const cleaner of this.opts.cleaners) {
      if (remaining <= 0) break;
      try {
        const bytes = await cleaner.clean(remaining);
        freed[cleaner.name] = bytes;
        remaining -= bytes;
      } catch (err) {
        this.opts.onError?.(new Error(`cleaning ${cleaner.name}: ${errorMessage(err)}`), 'disk cleanup');
      }
    }
    return freed;
  }

  private update(next: Omit<DiskState, 'level'>): void {
    const previous = this.current;
    const fraction = next.usedBytes / Math.max(1, next.quotaBytes);
    const level: DiskLevel =
      fraction >= 1 ? 'full' : fraction >= this.cleanAt ? 'clean' : fraction >= this.warnAt ? 'warn' : 'ok';
    this.current = { ...next, level };
    if (next.lastCleanup !== previous.lastCleanup && next.lastCleanup !== undefined)
      this.opts.onCleanup?.(next.lastCleanup.freed, this.current);
    if (level !== previous.level) this.opts.onLevelChange?.(this.current, previous.level);
  }

  private get warnAt(): number {
    return this.opts.levels?.().warnAt ?? 0.8;
  }

  private get cleanAt(): number {
    return this.opts.levels?.().cleanAt ?? 0.9;
  }

  /** Throws `resources.disk_quota_full` when Sylk's data has reached its quota. */
  assertRoom(what: string): void {
    const s = this.current;
    if (s.level !== 'full') return;
    throw new SylkError(
      `${what} refused: Sylk's data uses ${formatBytes(s.usedBytes)} of its ${formatBytes(s.quotaBytes)} disk quota` +
        (s.quotaDerived ? ' (the default: 10% of the free space, between 1 GiB and 20 GiB)' : ''),
      {
        code: 'resources.disk_quota_full',
        tier: ErrorTier.UserFixable,
        hint: this.opts.fix,
        details: { usedBytes: s.usedBytes, quotaBytes: s.quotaBytes },
      },
    );
  }
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
