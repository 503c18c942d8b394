import { ProviderError, type LLMResponse, type StreamChunk } from '../types.js';
import { ABORTED, AbortableReader } from '../abortable.js';
import { abortedError, truncatedError, type ErrorContext } from './errors.js';
import { ResponseAccumulator } from '../accumulator.js';

/** Turns one provider's raw stream events into normalized chunks. */
export interface EventMapper<E> {
  map(event: E): StreamChunk[];
  /**
   * True once the provider's final event was mapped (Anthropic `message_stop`, Responses
   * `response.completed`, Gemini's finish reason): the stream is complete and the body is not
   * read further, so a gateway that keeps the connection open cannot turn it into a stall.
   */
  readonly complete?: boolean;
  /** Called once the raw stream ends; returns trailing chunks or throws when it ended early. */
  finish(): StreamChunk[];
}

export interface DriveOptions<E> {
  ctx: Omit<ErrorContext, 'inStream'>;
  signal?: AbortSignal | undefined;
  /**
   * Start the request; resolves once the HTTP response has begun (status 200), with its raw
   * events in batches (one per network read; {@link inBatchesOfOne} for an SDK's per-event stream).
   */
  open(signal: AbortSignal): Promise<AsyncIterable<readonly E[]>>;
  mapper: EventMapper<E>;
  /** Convert any failure into a ProviderError. */
  toError(err: unknown, inStream: boolean): ProviderError;
}

/**
 * Raw events handled between two turns of the event loop. A provider's body stream that is
 * already buffered is read in microtasks only, so a fast stream (a local emulator, a burst
 * after a network stall) would otherwise hold the loop for as long as it has data: no commit,
 * no relay to attached clients, no other session, no RPC. Every 16 events cost one setImmediate:
 * larger slices raised the relay's tail latency, smaller ones cost throughput.
 * @internal exported for tests
 */
export const EVENTS_PER_SLICE = 16;

const KEEPALIVE: StreamChunk = Object.freeze({ type: 'keepalive' });

/** Resolves on the next turn of the event loop (after pending I/O). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The one stream convention every adapter follows: chunks are yielded until a `stop`
 * chunk, and any failure (HTTP error, error event, dropped connection, malformed data,
 * truncation, abort) is *thrown* as a ProviderError. Adapters never yield `error` chunks.
 * Each wait races the caller's signal, so a stalled socket cannot hold the consumer, and
 * the loop yields every {@link EVENTS_PER_SLICE} events so a fast one cannot hold the daemon.
 * A network read that gives no chunk (pings, comments) yields a `keepalive` chunk; after the
 * mapper's final event the request is released without waiting for the body to end.
 * Chunks come in groups: those of one network read, at most {@link EVENTS_PER_SLICE} events'
 * worth ({@link driveStream} hands them on one by one).
 */
export async function* driveBatches<E>(opts: DriveOptions<E>): AsyncGenerator<StreamChunk[]> {
  const controller = new AbortController();
  const outer = opts.signal;
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  const reader = new AbortableReader(controller.signal);
  let inStream = false;
  let iterator: AsyncIterator<readonly E[]> | undefined;
  const fail = (err: unknown): ProviderError => {
    if (controller.signal.aborted) return abortedError({ ...opts.ctx, inStream }, controller.signal.reason);
    return err instanceof ProviderError ? err : opts.toError(err, inStream);
  };
  try {
    let iterable: AsyncIterable<readonly E[]> | typeof ABORTED;
    try {
      iterable = await reader.wait(opts.open(controller.signal));
    } catch (err) {
      throw fail(err);
    }
    if (iterable === ABORTED) throw fail(undefined);
    inStream = true;
    iterator = iterable[Symbol.asyncIterator]();
    let sinceTurn = 0;
    for (;;) {
      if (controller.signal.aborted) throw fail(undefined);
      let step: IteratorResult<readonly E[]> | typeof ABORTED;
      try {
        step = await reader.wait(iterator.next());
      } catch (err) {
        throw fail(err);
      }
      if (step === ABORTED) throw fail(undefined);
      if (step.done) break;
      let out: StreamChunk[] = [];
      let failure: ProviderError | undefined;
      let yielded = false;
      let complete = false;
      for (const event of step.value) {
        if (++sinceTurn === EVENTS_PER_SLICE) {
          sinceTurn = 0;
          if (out.length > 0) {
            yield out;
            yielded = true;
            out = [];
          }
          await nextTurn();
          if (controller.signal.aborted) throw fail(undefined);
        }
        try {
          for (const chunk of opts.mapper.map(event)) out.push(chunk);
        } catch (err) {
          failure = fail(err); // after the chunks of the events before it, as one by one
          break;
        }
        if (opts.mapper.complete === true) {
          complete = true;
          break;
        }
      }
      if (out.length > 0) yield out;
      else if (!yielded && failure === undefined) yield [KEEPALIVE];
      if (failure !== undefined) throw failure;
      if (complete) break;
    }
    // SDKs end quietly when their fetch is aborted; an abort is still a failure for us.
    if (controller.signal.aborted) throw fail(undefined);
    let tail: StreamChunk[];
    try {
      tail = opts.mapper.finish();
    } catch (err) {
      throw fail(err);
    }
    if (tail.length > 0) yield tail;
  } finally {
    outer?.removeEventListener('abort', onAbort);
    reader.close();
    // Stop the underlying request whether we finished, failed or the consumer broke out early.
    if (!controller.signal.aborted) controller.abort();
    void iterator?.return?.()?.catch(() => undefined);
  }
}

/**
 * {@link driveBatches} one chunk at a time, as an adapter's `stream()` gives them.
 * @internal exported for tests
 */
export function driveStream<E>(opts: DriveOptions<E>): AsyncGenerator<StreamChunk> {
  return eachChunk(driveBatches(opts));
}

/** The chunks of groups of chunks, one by one. */
export async function* eachChunk(batches: AsyncIterable<readonly StreamChunk[]>): AsyncGenerator<StreamChunk> {
  for await (const batch of batches) for (const chunk of batch) yield chunk;
}

/** A per-event async iterable (an SDK's stream) as batches of one, for {@link DriveOptions.open}. */
export async function* inBatchesOfOne<E>(events: AsyncIterable<E>): AsyncGenerator<E[]> {
  for await (const event of events) yield [event];
}

export function requireFinished(done: boolean, ctx: Omit<ErrorContext, 'inStream'>): void {
  if (!done) throw truncatedError({ ...ctx, inStream: true });
}

/** Rebuild an LLMResponse from a stream's chunks ({@link ResponseAccumulator}); an error chunk throws. */
export async function accumulate(stream: AsyncIterable<StreamChunk>): Promise<LLMResponse> {
  const acc = new ResponseAccumulator('');
  for await (const chunk of stream) {
    if (chunk.type === 'error') throw chunk.error;
    acc.add(chunk);
  }
  return acc.toResponse(acc.reportedUsage());
}
