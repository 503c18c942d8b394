import type { Clock } from '@sylk/core';
import type { LLMRequest, ProviderAdapter, StreamChunk } from '../types.js';
import { ABORTED, AbortableReader } from '../abortable.js';
import { ResponseAccumulator } from '../accumulator.js';
import type { Timers } from './types.js';

export type AbortKind =
  | 'preempted'
  | 'cancelled'
  | 'chunk_timeout'
  | 'first_output_timeout'
  | 'max_duration'
  | 'budget_exceeded'
  | 'size_limit'
  | 'closed';

/** The reason the gate aborts an attempt's signal with. */
export class GateAbort extends Error {
  constructor(readonly kind: AbortKind) {
    super(`LLM request aborted: ${kind}`);
    this.name = 'GateAbort';
  }
}

/**
 * Defaults: 60 s between chunks (keep-alives count), 3 min to the first content (text,
 * thinking or a tool call; keep-alives alone do not count), 10 min per stream, budget check every 10 chunks;
 * at most 10 MiB of text (thinking included) per response and 1 MiB of arguments per tool call,
 * so a runaway stream cannot grow the daemon without bound. A non-streaming request (degraded
 * mode) has no chunks to wait between: it gets `generateTimeoutMs` in all.
 */
export interface StreamLimits {
  chunkTimeoutMs: number;
  firstOutputTimeoutMs: number;
  maxDurationMs: number;
  budgetCheckEvery: number;
  maxTextBytes: number;
  maxToolArgsBytes: number;
  generateTimeoutMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  chunkTimeoutMs: 60_000,
  firstOutputTimeoutMs: 180_000,
  maxDurationMs: 600_000,
  budgetCheckEvery: 10,
  maxTextBytes: 10 * 1024 * 1024,
  maxToolArgsBytes: 1024 * 1024,
  generateTimeoutMs: 600_000,
};

export interface AttemptInput {
  /** The provider's adapter, looked up under the attempt's signal and watchdog; a rejection is the attempt's error. */
  adapter: () => Promise<Pick<ProviderAdapter, 'stream'>>;
  request: LLMRequest;
  controller: AbortController;
  clock: Clock;
  timers: Timers;
  limits: StreamLimits;
  deliver: (chunk: StreamChunk) => void;
  /** Called every `budgetCheckEvery` chunks; true stops the stream (hard budget reached). */
  overBudget: (acc: ResponseAccumulator) => boolean;
}

interface Common {
  acc: ResponseAccumulator;
  /** The provider answered at all (tokens were probably spent). */
  reachedModel: boolean;
}

export type AttemptResult =
  | (Common & { kind: 'ok' })
  | (Common & { kind: 'aborted'; reason: AbortKind })
  | (Common & { kind: 'error'; error: unknown })
  /** The adapter lookup failed: the provider was never asked. */
  | (Common & { kind: 'unavailable'; error: unknown });

function abortKindOf(signal: AbortSignal): AbortKind {
  return signal.reason instanceof GateAbort ? signal.reason.kind : 'cancelled';
}

/** True once a chunk would take the response past a size limit (the chunk is then dropped). */
function sizeGuard(limits: StreamLimits): (chunk: StreamChunk) => boolean {
  let textBytes = 0;
  const argBytes = new Map<number, number>();
  return (chunk) => {
    if (chunk.type === 'text' || chunk.type === 'thinking')
      return (textBytes += Buffer.byteLength(chunk.text)) > limits.maxTextBytes;
    if (chunk.type !== 'tool_delta') return false;
    const bytes = (argBytes.get(chunk.index) ?? 0) + Buffer.byteLength(chunk.argumentsDelta);
    argBytes.set(chunk.index, bytes);
    return bytes > limits.maxToolArgsBytes;
  };
}

/**
 * One provider call: streams chunks into an accumulator and to `deliver`, under a watchdog
 * (gap between chunks and total duration, one lazily re-armed timer), size limits and periodic
 * budget checks. Never throws: every ending is described by the result.
 */
export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const { controller, clock, timers, limits } = input;
  const signal = controller.signal;
  const acc = new ResponseAccumulator(input.request.model);
  let reachedModel = false;
  const reader = new AbortableReader(signal);
  const oversize = sizeGuard(limits);

  const start = clock.monotonic();
  let last = start;
  // Until the first content chunk, the stream must produce it by this time (then: no bound).
  let firstOutputBy = start + limits.firstOutputTimeoutMs;
  const check = () => {
    const now = clock.monotonic();
    if (now - start >= limits.maxDurationMs) controller.abort(new GateAbort('max_duration'));
    else if (now - last >= limits.chunkTimeoutMs) controller.abort(new GateAbort('chunk_timeout'));
    else if (now >= firstOutputBy) controller.abort(new GateAbort('first_output_timeout'));
    else
      timer = timers.setTimeout(
        check,
        Math.min(last + limits.chunkTimeoutMs, start + limits.maxDurationMs, firstOutputBy) - now,
      );
  };
  let timer = timers.setTimeout(
    check,
    Math.min(limits.chunkTimeoutMs, limits.maxDurationMs, limits.firstOutputTimeoutMs),
  );

  let iterator: AsyncIterator<StreamChunk> | undefined;
  let ended = false;
  try {
    if (signal.aborted) return { kind: 'aborted', reason: abortKindOf(signal), acc, reachedModel };
    let adapter: Pick<ProviderAdapter, 'stream'> | typeof ABORTED;
    try {
      adapter = await reader.wait(input.adapter());
    } catch (error) {
      if (signal.aborted) return { kind: 'aborted', reason: abortKindOf(signal), acc, reachedModel };
      return { kind: 'unavailable', error, acc, reachedModel };
    }
    if (adapter === ABORTED) throw signal.reason;
    iterator = adapter.stream(input.request, signal)[Symbol.asyncIterator]();
    let count = 0;
    for (;;) {
      const r = await reader.wait(iterator.next());
      if (r === ABORTED) throw signal.reason;
      if (r.done === true) {
        iterator = undefined;
        ended = true;
        break;
      }
      const chunk = r.value;
      last = clock.monotonic();
      reachedModel = true;
      // Life for the watchdog, and nothing else.
      if (chunk.type === 'keepalive') continue;
      if (chunk.type === 'error') throw chunk.error;
      if (oversize(chunk)) {
        controller.abort(new GateAbort('size_limit'));
        break;
      }
      acc.add(chunk);
      if (acc.hasOutput) firstOutputBy = Infinity;
      input.deliver(chunk);
      if (++count % limits.budgetCheckEvery === 0 && input.overBudget(acc)) {
        controller.abort(new GateAbort('budget_exceeded'));
        break;
      }
    }
    // An abort that lost the race against a complete response changes nothing: never re-run it.
    if (signal.aborted && !(ended && acc.done))
      return { kind: 'aborted', reason: abortKindOf(signal), acc, reachedModel };
    return { kind: 'ok', acc, reachedModel };
  } catch (error) {
    if (signal.aborted) return { kind: 'aborted', reason: abortKindOf(signal), acc, reachedModel };
    return { kind: 'error', error, acc, reachedModel };
  } finally {
    timers.clearTimeout(timer);
    reader.close();
    // Stopped early: let the adapter release its connection, without waiting on a stuck stream.
    if (iterator?.return !== undefined) iterator.return().catch(() => {});
  }
}
