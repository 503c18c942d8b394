import type { ErrorTier, Logger } from '@sylk/core';
import type { RateWait, RetryScheduled } from './events.js';
import type { LLMResponse, ProviderName, StreamChunk } from '../types.js';
import type { ChunkChannel } from './channel.js';
import type { QueueEntry } from './dual-queue.js';
import type { Need } from './budget.js';
import type { RateBlock } from './rate-limiter.js';
import type { GateRequest } from './types.js';
import type { SpendKey } from './usage-totals.js';

type JobState = 'queued' | 'waiting' | 'running' | 'done';

/** One accepted request as the gate tracks it across queueing, attempts and retries. */
export interface Job extends QueueEntry {
  readonly id: string;
  readonly req: GateRequest;
  readonly key: SpendKey;
  readonly inputEstimate: number;
  readonly need: Need;
  readonly acceptedAt: number;
  readonly channel: ChunkChannel | undefined;
  readonly resolve: (r: LLMResponse) => void;
  readonly reject: (e: unknown) => void;
  state: JobState;
  controller: AbortController | undefined;
  detachSignal: (() => void) | undefined;
  /** This attempt is the breaker's half-open probe. */
  probe: boolean;
  /** This attempt streams (false: one non-streaming call, the provider's streaming is degraded). */
  streamed: boolean;
  /** A content chunk reached the stream consumer: retrying would duplicate text. */
  delivered: boolean;
  /** Non-content chunks (start, usage) held back until the first content chunk of an attempt. */
  held: StreamChunk[];
  retries: Partial<Record<ErrorTier, number>>;
  /** A preemption was requested and not yet processed. */
  preempting: boolean;
  preemptedBy: string | undefined;
  /** Parked for a configured per-minute limit (cleared when dispatched again). */
  rateBlock: RateBlock | undefined;
  /** Parked until one of its provider's `maxConcurrent` connections frees (cleared when dispatched again). */
  connectionWait: boolean;
  /** The refill time the caller was last told about (`onWait`), so a re-park for the same window says nothing new. */
  waitNotified: number;
}

const CONTENT = new Set<StreamChunk['type']>(['text', 'thinking', 'tool_start', 'tool_delta', 'tool_end']);

/** Forwards a chunk to a stream consumer, holding non-content chunks until content starts. */
export function deliver(job: Job, chunk: StreamChunk): void {
  const channel = job.channel;
  if (channel === undefined) return;
  if (job.delivered) {
    channel.push(chunk);
    return;
  }
  if (!CONTENT.has(chunk.type)) {
    job.held.push(chunk);
    return;
  }
  flushHeld(job);
  job.delivered = true;
  channel.push(chunk);
}

export function flushHeld(job: Job): void {
  for (const c of job.held) job.channel?.push(c);
  job.held = [];
}

/** Lowest priority first; among equals, one whose output has not reached a consumer, then the oldest. */
export function preferVictim(a: Job, b: Job): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  if (a.delivered !== b.delivered) return !a.delivered;
  return a.seq < b.seq;
}

export function ref(job: Job): { requestId: string; sessionId: string | undefined; provider: ProviderName } {
  return { requestId: job.id, sessionId: job.req.sessionId, provider: job.req.provider };
}

/** Tells the request's caller about a scheduled retry; a throwing callback is logged, never breaks the gate. */
export function notifyRetry(job: Job, retry: RetryScheduled, logger: Logger): void {
  try {
    job.req.onRetry?.(retry);
  } catch (err) {
    logger.error({ err, requestId: job.id }, 'retry callback threw');
  }
}

/** Tells the request's caller it waits for a rate limit; a throwing callback is logged, never breaks the gate. */
export function notifyWait(job: Job, wait: RateWait, logger: Logger): void {
  try {
    job.req.onWait?.(wait);
  } catch (err) {
    logger.error({ err, requestId: job.id }, 'rate-limit wait callback threw');
  }
}
