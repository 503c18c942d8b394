import type { LLMRequest, ProviderName } from '../types.js';
import type { RateWait, RetryScheduled } from './events.js';

/** Request priorities; higher runs first. */
export const Priority = {
  UserInteractive: 100,
  Planning: 80,
  Execution: 60,
  Validation: 40,
  Background: 20,
} as const;

/** What callers hand the gate: the normalized request plus routing and attribution. */
export interface GateRequest {
  id?: string;
  provider: ProviderName;
  request: LLMRequest;
  priority: number;
  sessionId?: string;
  pipelineId?: string;
  taskId?: string;
  agentId?: string;
  agentType?: string;
  /** The credential profile whose key the request is sent with; handed to the adapter lookup (undefined: its default). */
  profile?: string;
  /** User-interactive: unbounded FIFO, never rejected, drains first, may preempt pipeline work. */
  user?: boolean;
  /** Told when a failed attempt of this request will be retried (the caller may show the wait). */
  onRetry?: (retry: RetryScheduled) => void;
  /** Told when this request starts waiting for a configured per-minute rate limit (the caller may show the wait). */
  onWait?: (wait: RateWait) => void;
}

/** Opaque timer handle so tests can inject a manual scheduler. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Uniform [0, 1) source, injected for jitter. */
export type RandomFn = () => number;

/** Real timers, unref'd so an idle gate never keeps the daemon alive. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
