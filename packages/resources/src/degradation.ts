import { errorMessage } from '@sylk/core';
import { nodeIntervalTimers, pressureRank, type PressureLevel, type IntervalTimers } from './memory.js';

/** A pipeline as the degradation controller sees it. */
export interface PressurePipeline {
  id: string;
  sessionId: string;
  /** Higher runs first (the gate's convention). */
  priority: number;
  /** clock.now() when it started (or was queued). */
  startedAt: number;
  /** `running`, `queued` and `waiting` ones may be paused; only `paused` ones are resumed. */
  state: string;
  /** Work the user is interacting with: never paused. */
  interactive?: boolean;
}

/** What the scheduler offers the controller. */
export interface PausablePipelines {
  list(): readonly PressurePipeline[];
  pause(id: string, reason?: string): unknown;
  resume(id: string): unknown;
}

export interface DegradationAction {
  action: 'pause' | 'resume';
  pipeline: PressurePipeline;
  level: PressureLevel;
}

export interface DegradationOptions {
  pipelines: PausablePipelines;
  /** The pressure now (the worse of memory and disk, as the daemon sees it). */
  level: () => PressureLevel;
  intervalMs: number;
  timers?: IntervalTimers;
  onAction?: (action: DegradationAction) => void;
  onError?: (err: unknown) => void;
}

/** Least valuable first: lowest priority, then the newest. */
function lowestValueFirst(a: PressurePipeline, b: PressurePipeline): number {
  return a.priority - b.priority || b.startedAt - a.startedAt;
}

const NOT_STARTED = new Set(['queued', 'waiting']);
const PAUSE_REASON = 'memory pressure';

/**
 * Pauses pipelines under pressure and resumes them after, one step per interval. At
 * `pause_new_pipelines` every pipeline not started yet is paused (and new ones are held as they
 * come, {@link hold}), and one running pipeline per step, the least valuable first (lowest
 * priority, then newest); at `pause_all_but_user` every running pipeline at once. Below
 * `pause_new_pipelines` the pipelines it paused are resumed one per step, the most valuable first.
 * Interactive work is never paused, and pipelines paused by anyone else are never resumed.
 */
export class DegradationController {
  private readonly timers: IntervalTimers;
  private readonly paused = new Set<string>();
  private handle: unknown;

  constructor(private readonly opts: DegradationOptions) {
    this.timers = opts.timers ?? nodeIntervalTimers;
  }

  start(): void {
    if (this.handle !== undefined) return;
    this.handle = this.timers.setInterval(() => void this.step(), this.opts.intervalMs);
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  /** Whether a new pipeline may start now. */
  admitsNewPipelines(): boolean {
    return pressureRank(this.opts.level()) < pressureRank('pause_new_pipelines');
  }

  /**
   * While new pipelines are not admitted: the reason to submit a new one paused (then tell
   * {@link held} its id, so that it is resumed with the others); undefined when it may start.
   */
  holdReason(): string | undefined {
    return this.admitsNewPipelines() ? undefined : PAUSE_REASON;
  }

  /** A pipeline was submitted paused for {@link holdReason}: it is resumed with the ones this paused. */
  held(id: string): void {
    this.paused.add(id);
  }

  /** Ids of the pipelines this controller paused and has not resumed yet. */
  pausedByPressure(): string[] {
    return [...this.paused];
  }

  /** One interval's work; returns what it did. */
  async step(): Promise<DegradationAction[]> {
    const level = this.opts.level();
    let list: readonly PressurePipeline[];
    try {
      list = this.opts.pipelines.list();
    } catch (err) {
      this.opts.onError?.(err);
      return [];
    }
    const known = new Set(list.map((p) => p.id));
    for (const id of this.paused) if (!known.has(id)) this.paused.delete(id); // finished or cancelled
    const rank = pressureRank(level);
    if (rank >= pressureRank('pause_new_pipelines')) {
      const pausable = list.filter((p) => p.interactive !== true).sort(lowestValueFirst);
      const running = pausable.filter((p) => p.state === 'running');
      const victims = [
        ...pausable.filter((p) => NOT_STARTED.has(p.state)),
        ...(rank >= pressureRank('pause_all_but_user') ? running : running.slice(0, 1)),
      ];
      return this.apply('pause', victims, level);
    }
    const resumable = list.filter((p) => p.state === 'paused' && this.paused.has(p.id)).sort(lowestValueFirst);
    const next = resumable.at(-1);
    return next === undefined ? [] : this.apply('resume', [next], level);
  }

  private async apply(
    action: 'pause' | 'resume',
    pipelines: readonly PressurePipeline[],
    level: PressureLevel,
  ): Promise<DegradationAction[]> {
    const done: DegradationAction[] = [];
    for (const pipeline of pipelines) {
      try {
        await (action === 'pause'
          ? this.opts.pipelines.pause(pipeline.id, PAUSE_REASON)
          : this.opts.pipelines.resume(pipeline.id));
      } catch (err) {
        this.opts.onError?.(new Error(`${action} ${pipeline.id}: ${errorMessage(err)}`));
        continue;
      }
      if (action === 'pause') this.paused.add(pipeline.id);
      else this.paused.delete(pipeline.id);
      const a = { action, pipeline, level };
      done.push(a);
      this.opts.onAction?.(a);
    }
    return done;
  }
}
