/** `waiting` (dependencies not done) → `queued` → `running` → a terminal state; `paused` from any live state. */
export type PipelineState = 'waiting' | 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled' | 'timed_out';

export interface PipelineRunContext {
  /** Aborted on cancel (reason code `resources.cancelled`) and on pause (`resources.paused`). */
  signal: AbortSignal;
  /** 0 on the first start; n when started again after n pauses (resume from the checkpoint). */
  attempt: number;
}

export interface PipelineSpec {
  id: string;
  sessionId: string;
  /** Higher first within a session, and between sessions equally far below their share. */
  priority: number;
  /** Pipelines (already submitted, or in the same `submitMany` batch) that must be `done` first. */
  dependsOn?: string[];
  /** Time allowed in `queued` before `timed_out` (default: none). */
  queueTimeoutMs?: number;
  /** Submitted `paused` with this reason (it starts only after `resume`). */
  pausedReason?: string;
  /** The work; its slot frees when the promise settles. Called again after a pause and resume. */
  run: (ctx: PipelineRunContext) => Promise<void>;
}

export interface PipelineChangeInfo {
  sessionId: string;
  priority: number;
  /** The state before (null on submit). */
  from: PipelineState | null;
  /** Why it was cancelled, paused or timed out (a dependency's failure names the dependency). */
  reason?: string;
  /** `failed`: what run threw; `timed_out`: the `resources.queue_timeout` error. */
  error?: unknown;
  attempt: number;
}

export type PipelineListener = (id: string, state: PipelineState, info: PipelineChangeInfo) => void;

export interface PipelineInfo {
  id: string;
  sessionId: string;
  priority: number;
  state: PipelineState;
  dependsOn: string[];
  attempt: number;
  /** Wall-clock ms. */
  submittedAt: number;
  /** Wall-clock ms of its latest start (its submission until it starts). */
  startedAt: number;
  endedAt?: number;
}

export interface SessionSlots {
  running: number;
  queued: number;
  waiting: number;
  paused: number;
  /** The session's fair number of the scheduler's slots now (whole slots, at least 1). */
  share: number;
  /** Its fraction of every pool (FairShare.fraction). */
  fraction: number;
}

export interface SchedulerSnapshot {
  limit: number;
  running: number;
  queued: number;
  waiting: number;
  paused: number;
  bySession: Record<string, SessionSlots>;
}
