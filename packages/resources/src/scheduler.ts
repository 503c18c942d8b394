import { availableParallelism } from 'node:os';
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
import { FairShare, apportion } from './fair-share.js';
import { validateBatch } from './scheduler-graph.js';
import type {
  PipelineChangeInfo,
  PipelineInfo,
  PipelineListener,
  PipelineSpec,
  PipelineState,
  SchedulerSnapshot,
  SessionSlots,
} from './scheduler-types.js';

export interface PipelineSchedulerOptions {
  /** Pipelines running at once across all sessions (default: available parallelism). */
  maxConcurrent?: number;
  clock: Clock;
  timers?: Timers;
  logger?: Logger;
  /** The daemon's fair share (default: a private one); the scheduler records pipeline starts and ends in it. */
  shares?: FairShare;
  /** Finished pipelines remembered for dependencies and `get` (default 10,000; the oldest are forgotten). */
  retainFinished?: number;
}

interface Entry {
  readonly spec: PipelineSpec;
  readonly id: string;
  readonly sessionId: string;
  readonly priority: number;
  readonly deps: string[];
  readonly seq: number;
  state: PipelineState;
  /** Dependencies not yet done. */
  pending: number;
  /** Re-queued after a pause: ahead of its priority peers. */
  ahead: boolean;
  attempt: number;
  /** Holds a slot: from start until run settles (also while being stopped). */
  slot: boolean;
  stopping: 'cancel' | 'pause' | undefined;
  stopReason: string | undefined;
  resumeAfterStop: boolean;
  controller: AbortController | undefined;
  timer: TimerHandle | undefined;
  submittedAt: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
}

const TERMINAL: ReadonlySet<PipelineState> = new Set(['done', 'failed', 'cancelled', 'timed_out']);

/** Queue order within a session: priority, then re-queued after a pause, then age. */
function before(a: Entry, b: Entry): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.ahead !== b.ahead) return a.ahead;
  return a.seq < b.seq;
}

/**
 * The daemon's one pipeline scheduler: at most `limit` pipelines run at once across all sessions.
 * When a slot frees, the next pipeline comes from the session furthest below its fair share (its
 * activity-weighted part of the slots, at least one), then by priority, then age. Dependencies
 * hold a pipeline in `waiting`; one that fails, is cancelled or times out cancels its dependents.
 * Pause aborts a running pipeline's signal and, once `run` settles, keeps it `paused` without a
 * slot; resume re-queues it ahead of its priority peers and calls `run` again (`attempt` + 1).
 */
export class PipelineScheduler {
  readonly shares: FairShare;
  private max: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly retain: number;
  private readonly entries = new Map<string, Entry>();
  private readonly finished: string[] = [];
  private readonly dependents = new Map<string, Set<Entry>>();
  private readonly ready = new Map<string, Entry[]>();
  private readonly runningBy = new Map<string, number>();
  /** Start counter of each session's latest start: among equals, the least recently served goes first. */
  private readonly lastStart = new Map<string, number>();
  private starts = 0;
  private readonly listeners = new Set<PipelineListener>();
  private idleWaiters: Array<() => void> = [];
  private counts = { running: 0, queued: 0, waiting: 0, paused: 0 };
  private seq = 0;
  private pumping = false;

  constructor(options: PipelineSchedulerOptions) {
    this.max = checkLimit(options.maxConcurrent ?? availableParallelism());
    this.clock = options.clock;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger ?? silentLogger();
    this.shares =
      options.shares ?? new FairShare({ clock: options.clock, timers: options.timers, logger: this.logger });
    this.retain = options.retainFinished ?? 10_000;
  }

  get limit(): number {
    return this.max;
  }

  /** Changes the limit (pressure may lower it); running pipelines are not stopped, new starts wait. */
  setLimit(maxConcurrent: number): void {
    this.max = checkLimit(maxConcurrent);
    this.pump();
  }

  /** Adds one pipeline; throws `resources.duplicate_pipeline`, `resources.unknown_dependency` or `resources.dependency_cycle`. */
  submit(spec: PipelineSpec): void {
    this.submitMany([spec]);
  }

  /** Adds pipelines that may depend on each other, all or none (same errors as `submit`). */
  submitMany(specs: readonly PipelineSpec[]): void {
    validateBatch(specs, (id) => this.entries.has(id));
    const now = this.clock.now();
    const added: Entry[] = specs.map((spec) => {
      const entry: Entry = {
        spec,
        id: spec.id,
        sessionId: spec.sessionId,
        priority: spec.priority,
        deps: [...new Set(spec.dependsOn ?? [])],
        seq: ++this.seq,
        state: 'waiting',
        pending: 0,
        ahead: false,
        attempt: 0,
        slot: false,
        stopping: undefined,
        stopReason: undefined,
        resumeAfterStop: false,
        controller: undefined,
        timer: undefined,
        submittedAt: now,
        startedAt: undefined,
        endedAt: undefined,
      };
      this.entries.set(entry.id, entry);
      this.counts.waiting++;
      return entry;
    });
    for (const entry of added) {
      let failedDep: Entry | undefined;
      for (const depId of entry.deps) {
        const dep = this.entries.get(depId) as Entry;
        if (dep.state === 'done') continue;
        if (TERMINAL.has(dep.state)) failedDep ??= dep;
        else {
          entry.pending++;
          let set = this.dependents.get(depId);
          if (set === undefined) this.dependents.set(depId, (set = new Set()));
          set.add(entry);
        }
      }
      const pausedReason = failedDep === undefined ? entry.spec.pausedReason : undefined;
      if (pausedReason !== undefined) this.setState(entry, 'paused');
      this.emit(entry, null, { reason: pausedReason });
      if (failedDep !== undefined) this.finish(entry, 'cancelled', { reason: dependencyReason(failedDep) });
      else if (entry.pending === 0 && pausedReason === undefined) this.enqueue(entry);
    }
    this.pump();
  }

  /**
   * Cancels from any live state: at once when it holds no slot; a running one has its signal
   * aborted and ends `cancelled` when `run` settles (`done` if it resolves anyway). False when
   * unknown, finished or already being cancelled.
   */
  cancel(id: string, reason = 'cancelled'): boolean {
    const e = this.entries.get(id);
    if (e === undefined || TERMINAL.has(e.state)) return false;
    if (e.slot) {
      if (e.stopping === 'cancel') return false;
      const abortedAlready = e.stopping !== undefined;
      e.stopping = 'cancel';
      e.stopReason = reason;
      e.resumeAfterStop = false;
      if (!abortedAlready) e.controller?.abort(stopError(id, 'cancel', reason));
      return true;
    }
    this.leaveState(e);
    this.finish(e, 'cancelled', { reason });
    this.pump();
    return true;
  }

  /**
   * Pauses a live pipeline: `waiting` and `queued` ones at once; a running one has its signal
   * aborted (code `resources.paused`) and becomes `paused` when `run` settles, freeing its slot
   * (`done` if it resolves anyway). False when unknown, finished, paused or being stopped.
   */
  pause(id: string, reason = 'paused'): boolean {
    const e = this.entries.get(id);
    if (e === undefined || TERMINAL.has(e.state) || e.state === 'paused' || e.stopping !== undefined) return false;
    if (e.slot) {
      e.stopping = 'pause';
      e.stopReason = reason;
      e.controller?.abort(stopError(id, 'pause', reason));
      return true;
    }
    const from = e.state;
    this.leaveState(e);
    this.setState(e, 'paused');
    this.emit(e, from, { reason });
    this.pump();
    return true;
  }

  /** Resumes a paused pipeline: `waiting` if dependencies remain, else `queued` ahead of its priority peers. */
  resume(id: string): boolean {
    const e = this.entries.get(id);
    if (e === undefined) return false;
    if (e.slot && e.stopping === 'pause') {
      if (e.resumeAfterStop) return false;
      e.resumeAfterStop = true;
      return true;
    }
    if (e.state !== 'paused') return false;
    this.leaveState(e);
    e.ahead = true;
    if (e.pending > 0) {
      this.setState(e, 'waiting');
      this.emit(e, 'paused');
    } else this.enqueue(e, 'paused');
    this.pump();
    return true;
  }

  state(id: string): PipelineState | undefined {
    return this.entries.get(id)?.state;
  }

  get(id: string): PipelineInfo | undefined {
    const e = this.entries.get(id);
    return e === undefined ? undefined : info(e);
  }

  /** Pipelines not finished, oldest first. */
  list(): PipelineInfo[] {
    const out: PipelineInfo[] = [];
    for (const e of this.entries.values()) if (!TERMINAL.has(e.state)) out.push(info(e));
    return out;
  }

  /** Subscribes to every state change (called synchronously); returns the unsubscribe. */
  onChange(listener: PipelineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): SchedulerSnapshot {
    const bySession: Record<string, SessionSlots> = {};
    const slots = (s: string): SessionSlots =>
      (bySession[s] ??= { running: 0, queued: 0, waiting: 0, paused: 0, share: 0, fraction: 0 });
    for (const e of this.entries.values()) {
      if (TERMINAL.has(e.state)) continue;
      const row = slots(e.sessionId);
      if (e.state === 'running') row.running++;
      else if (e.state === 'queued') row.queued++;
      else if (e.state === 'waiting') row.waiting++;
      else row.paused++;
    }
    const weights = new Map<string, number>();
    for (const s of Object.keys(bySession)) weights.set(s, this.shares.weight(s));
    for (const [s, share] of apportion(this.max, weights)) {
      const row = slots(s);
      row.share = share;
      row.fraction = this.shares.fraction(s);
    }
    return { limit: this.max, ...this.counts, bySession };
  }

  /** Resolves once nothing is waiting, queued or running (paused pipelines may remain). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.counts.running === 0 && this.counts.queued === 0 && this.counts.waiting === 0;
  }

  private enqueue(e: Entry, from: PipelineState = e.state): void {
    this.setState(e, 'queued');
    let queue = this.ready.get(e.sessionId);
    if (queue === undefined) this.ready.set(e.sessionId, (queue = []));
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(queue[mid] as Entry, e)) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, e);
    const timeoutMs = e.spec.queueTimeoutMs;
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs))
      e.timer = this.timers.setTimeout(() => {
        e.timer = undefined;
        if (e.state !== 'queued') return;
        this.leaveState(e);
        this.finish(e, 'timed_out', { reason: `no slot within ${timeoutMs} ms`, error: queueTimeout(e.id, timeoutMs) });
        this.pump();
      }, timeoutMs);
    if (from !== 'queued') this.emit(e, from);
  }

  /** Takes a non-running pipeline out of its current state's bookkeeping (ready queue, timer). */
  private leaveState(e: Entry): void {
    if (e.timer !== undefined) this.timers.clearTimeout(e.timer);
    e.timer = undefined;
    if (e.state !== 'queued') return;
    const queue = this.ready.get(e.sessionId) as Entry[];
    queue.splice(queue.indexOf(e), 1);
    if (queue.length === 0) this.ready.delete(e.sessionId);
  }

  /** Starts ready pipelines while slots are free (eager: runs after every change). */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.counts.running < this.max) {
        const next = this.pickNext();
        if (next === undefined) break;
        this.start(next);
      }
    } finally {
      this.pumping = false;
    }
    this.checkIdle();
  }

  /** The head of the session furthest below its target (fair share of the slots, at least 1). */
  private pickNext(): Entry | undefined {
    if (this.ready.size === 0) return undefined;
    let total = 0;
    const weights = new Map<string, number>();
    const weigh = (s: string) => {
      if (weights.has(s)) return;
      const w = this.shares.weight(s);
      weights.set(s, w);
      total += w;
    };
    for (const s of this.ready.keys()) weigh(s);
    for (const s of this.runningBy.keys()) weigh(s);
    let best: Entry | undefined;
    let bestDeficit = 0;
    let bestRunning = 0;
    for (const [s, queue] of this.ready) {
      const head = queue[0] as Entry;
      const running = this.runningBy.get(s) ?? 0;
      const target = Math.max(1, (this.max * (weights.get(s) as number)) / total);
      const deficit = target - running;
      if (best !== undefined) {
        const d = deficit - bestDeficit;
        if (d < -1e-9) continue;
        if (d <= 1e-9 && !this.servesFirst(head, running, best, bestRunning)) continue;
      }
      best = head;
      bestDeficit = deficit;
      bestRunning = running;
    }
    return best;
  }

  /** Between sessions equally below their share: fewer running, then priority, then least recently served, then age. */
  private servesFirst(a: Entry, aRunning: number, b: Entry, bRunning: number): boolean {
    if (aRunning !== bRunning) return aRunning < bRunning;
    if (a.priority !== b.priority) return a.priority > b.priority;
    const aLast = this.lastStart.get(a.sessionId) ?? -1;
    const bLast = this.lastStart.get(b.sessionId) ?? -1;
    if (aLast !== bLast) return aLast < bLast;
    return before(a, b);
  }

  private start(e: Entry): void {
    if (this.lastStart.size > 4096)
      for (const s of this.lastStart.keys()) if (!this.ready.has(s) && !this.runningBy.has(s)) this.lastStart.delete(s);
    this.lastStart.set(e.sessionId, ++this.starts);
    this.leaveState(e);
    this.setState(e, 'running');
    e.slot = true;
    e.startedAt = this.clock.now();
    this.runningBy.set(e.sessionId, (this.runningBy.get(e.sessionId) ?? 0) + 1);
    this.shares.record(e.sessionId, 'pipeline_started');
    const controller = new AbortController();
    e.controller = controller;
    this.emit(e, 'queued');
    let running: Promise<void>;
    try {
      running = Promise.resolve(e.spec.run({ signal: controller.signal, attempt: e.attempt }));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      () => this.settled(e, undefined),
      (err: unknown) => this.settled(e, err ?? new Error('pipeline failed')),
    );
  }

  private settled(e: Entry, error: unknown): void {
    e.slot = false;
    e.controller = undefined;
    const left = (this.runningBy.get(e.sessionId) ?? 1) - 1;
    if (left === 0) this.runningBy.delete(e.sessionId);
    else this.runningBy.set(e.sessionId, left);
    this.shares.record(e.sessionId, 'pipeline_ended');
    const stopping = e.stopping;
    const reason = e.stopReason;
    e.stopping = undefined;
    e.stopReason = undefined;
    if (error === undefined) this.finish(e, 'done', {});
    else if (stopping === 'cancel') this.finish(e, 'cancelled', { reason });
    else if (stopping === 'pause') {
      e.attempt++;
      const resume = e.resumeAfterStop;
      e.resumeAfterStop = false;
      this.setState(e, 'paused');
      this.emit(e, 'running', { reason });
      if (resume) this.resume(e.id);
    } else {
      this.logger.debug({ err: error, pipeline: e.id, sessionId: e.sessionId }, 'pipeline failed');
      this.finish(e, 'failed', { error });
    }
    this.pump();
  }

  /** Ends a pipeline that holds no slot: notifies, releases or cancels its dependents, remembers it. */
  private finish(e: Entry, state: PipelineState, extra: { reason?: string; error?: unknown }): void {
    const from = e.state;
    this.setState(e, state);
    e.endedAt = this.clock.now();
    this.emit(e, from, extra);
    this.finished.push(e.id);
    while (this.finished.length > this.retain) this.entries.delete(this.finished.shift() as string);
    const dependents = this.dependents.get(e.id);
    this.dependents.delete(e.id);
    for (const d of dependents ?? []) {
      if (TERMINAL.has(d.state)) continue;
      if (state === 'done') {
        d.pending--;
        if (d.pending === 0 && d.state === 'waiting') this.enqueue(d);
      } else if (d.slot) this.cancel(d.id, dependencyReason(e));
      else {
        this.leaveState(d);
        this.finish(d, 'cancelled', { reason: dependencyReason(e) });
      }
    }
  }

  private setState(e: Entry, state: PipelineState): void {
    const count = (s: PipelineState): keyof typeof this.counts | undefined =>
      s === 'running' || s === 'queued' || s === 'waiting' || s === 'paused' ? s : undefined;
    const was = count(e.state);
    if (was !== undefined) this.counts[was]--;
    const now = count(state);
    if (now !== undefined) this.counts[now]++;
    e.state = state;
  }

  private emit(e: Entry, from: PipelineState | null, extra: { reason?: string; error?: unknown } = {}): void {
    const detail: PipelineChangeInfo = {
      sessionId: e.sessionId,
      priority: e.priority,
      from,
      attempt: e.attempt,
      ...(extra.reason !== undefined && { reason: extra.reason }),
      ...(extra.error !== undefined && { error: extra.error }),
    };
    for (const listener of this.listeners) {
      try {
        listener(e.id, e.state, detail);
      } catch (err) {
        this.logger.warn({ err, pipeline: e.id }, 'pipeline state listener failed');
      }
    }
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function checkLimit(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new SylkError(`maxConcurrent must be a positive integer, got ${n}`, {
      tier: ErrorTier.Permanent,
      code: 'resources.invalid_option',
    });
  return n;
}

function info(e: Entry): PipelineInfo {
  return {
    id: e.id,
    sessionId: e.sessionId,
    priority: e.priority,
    state: e.state,
    dependsOn: [...e.deps],
    attempt: e.attempt,
    submittedAt: e.submittedAt,
    startedAt: e.startedAt ?? e.submittedAt,
    ...(e.endedAt !== undefined && { endedAt: e.endedAt }),
  };
}

function dependencyReason(dep: Entry): string {
  const what = dep.state === 'failed' ? 'failed' : dep.state === 'timed_out' ? 'timed out' : 'was cancelled';
  return `dependency ${dep.id} ${what}`;
}

function stopError(id: string, kind: 'cancel' | 'pause', reason: string): SylkError {
  return kind === 'cancel'
    ? new SylkError(`pipeline ${id} cancelled: ${reason}`, { tier: ErrorTier.Permanent, code: 'resources.cancelled' })
    : new SylkError(`pipeline ${id} paused: ${reason}`, { tier: ErrorTier.Transient, code: 'resources.paused' });
}

function queueTimeout(id: string, ms: number): SylkError {
  return new SylkError(`pipeline ${id} found no free slot within ${ms} ms`, {
    tier: ErrorTier.Transient,
    code: 'resources.queue_timeout',
    details: { id, timeoutMs: ms },
    hint: 'Pipelines of all sessions share the slots: cancel ones you no longer need (`sylk top` shows them), then spawn it again.',
  });
}
