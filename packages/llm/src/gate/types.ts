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

export type { Timers, TimerHandle } from '@sylk/core';

export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Uniform [0, 1) source, injected for jitter. */
export type RandomFn = () => number;

export { systemTimers } from '@sylk/core';
