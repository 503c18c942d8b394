import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ErrorTier, errorMessage, silentLogger, systemClock, type Logger } from '@sylk/core';
import { ProviderError, type LLMRequest, type ProviderAdapter, type ProviderName, type StreamChunk } from '../types.js';
import type { AdapterConfig } from './config.js';
import { abortedError, type ErrorContext } from './errors.js';
import { createAdapter } from './factory.js';
import { nextTurn } from './stream.js';
import { CREDIT_EVERY, fromPortableChunk, fromPortableError, type FromWorker, type PortableAdapterConfig, type PortableChunk, type ToWorker } from './thread-protocol.js';

// Why a thread: reading a provider's stream (HTTP body, SSE framing, JSON per event, the SDK's
// iterators) is about a quarter of the daemon's CPU per streamed token, on the thread that also
// commits, relays and serves every session. The worker does that part and hands over normalized
// chunks in batches; flow control (credits) keeps it at most MAX_UNACKED chunks ahead, as the
// consumer's pace limits an in-thread stream.

export interface StreamThreadOptions {
  logger?: Logger;
  /** The worker ends after this long with no stream open, returning its memory. Default 60 s. */
  idleMs?: number;
  /** Script of the worker; default the package's built `stream-worker.js`. */
  workerUrl?: URL | string;
}

export interface StreamThreadStats {
  running: boolean;
  openStreams: number;
  bufferedChunks: number;
  /** Workers started so far (one more after each idle exit or failure). */
  starts: number;
  failures: number;
  lastFailure?: string;
}

const DEFAULT_IDLE_MS = 60_000;
/**
 * Chunks handed on between two turns of the event loop. Larger than driveStream's slice: the
 * chunks here are already parsed, so 64 cost about what 16 did in-thread, and the larger group
 * commits and relay batches are cheaper per event (relay bench, 2-core sandbox: 16 → 40–45k
 * events/s, 64 → 49–52k; 256 gained nothing and doubled p99; 32 and 64 are alike).
 */
const CHUNKS_PER_SLICE = 64;
/**
 * Bounds of the worker's heap: a runaway stream fails that stream (retried), not the daemon.
 * The young generation (relay bench, one run): 1 MB scavenged 583 times and promoted ~160 KB
 * each time; 8 MB, 127 times and ~0 KB; 16 MB halved the scavenges again but kept ~20 MB more
 * resident with 50 idle sessions while the thread was up (sessions-rss 140 vs 120 MB).
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 8 };

/** The main thread's end of one stream running in the worker. */
class RemoteStream {
  private queue: PortableChunk[] = [];
  private head = 0;
  private taken = 0;
  private finished = false;
  private failure: unknown;
  private waiter: { resolve: (c: StreamChunk | undefined) => void; reject: (e: unknown) => void } | undefined;
  /** Chunks have arrived: an abort now is an in-stream one. */
  started = false;

  constructor(
    readonly id: number,
    readonly provider: ProviderName,
    private readonly thread: StreamThread,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /** Chunks received and not yet taken. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /** The next chunk; undefined at the end; rejects with the stream's error after its chunks. */
  next(): Promise<StreamChunk | undefined> {
    if (this.head < this.queue.length) {
      const chunk = fromPortableChunk(this.queue[this.head++] as PortableChunk);
      // Not on emptying the queue as well: that was a message to the worker per batch it sent
      // (~1,000 a second at 50k deltas/s), and the worker only waits once MAX_UNACKED are out.
      if (++this.taken >= CREDIT_EVERY) this.returnCredit();
      return Promise.resolve(chunk);
    }
    if (this.finished) return this.failure === undefined ? Promise.resolve(undefined) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** @internal from the worker */
  receive(chunks: PortableChunk[]): void {
    if (this.finished) return;
    this.started = true;
    if (this.head === this.queue.length) {
      this.queue = chunks;
      this.head = 0;
    } else this.queue.push(...chunks);
    this.wake();
  }

  /** @internal the stream ended (error undefined) or failed; queued chunks are still delivered. */
  finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    this.thread.closed(this);
    this.wake();
  }

  /** Stops the worker's side and fails now, dropping what is queued (a cancel, an abort). */
  abort(error: unknown): void {
    if (!this.finished) this.thread.post({ type: 'cancel', id: this.id, reason: errorMessage(error) });
    this.queue = [];
    this.head = 0;
    this.finish(error);
  }

  private returnCredit(): void {
    if (this.taken === 0 || this.finished) return;
    this.thread.post({ type: 'credit', id: this.id, chunks: this.taken });
    this.taken = 0;
  }

  private wake(): void {
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    this.next().then(w.resolve, w.reject);
  }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A stream's chunks as the consumer on this thread iterates them. Written out rather than as an
 * `async function*`: a generator step costs two promises and a result object per chunk, and
 * this runs for every chunk of every stream. The stream opens on the first `next()`; an abort
 * of `signal` fails it at once; ending, failing or the consumer's `return()` releases it.
 */
class RemoteChunks implements AsyncIterator<StreamChunk> {
  private remote: RemoteStream | undefined;
  private taken = 0;
  private closed = false;
  private readonly onAbort = (): void => {
    const remote = this.remote;
    remote?.abort(abortedError(this.errorCtx(remote.started), this.signal?.reason));
  };
  private readonly onChunk = (chunk: StreamChunk | undefined): IteratorResult<StreamChunk> => {
    if (chunk !== undefined) return { done: false, value: chunk };
    this.close();
    return DONE;
  };
  private readonly onFailure = (err: unknown): never => {
    this.close();
    throw err;
  };
  private readonly take = (): Promise<IteratorResult<StreamChunk>> => (this.remote as RemoteStream).next().then(this.onChunk, this.onFailure);

  constructor(
    private readonly open: () => RemoteStream,
    private readonly signal: AbortSignal | undefined,
    private readonly errorCtx: (inStream: boolean) => ErrorContext,
  ) {}

  next(): Promise<IteratorResult<StreamChunk>> {
    if (this.closed) return Promise.resolve(DONE);
    if (this.remote === undefined) {
      if (this.signal?.aborted) {
        this.closed = true;
        return Promise.reject(abortedError(this.errorCtx(false), this.signal.reason));
      }
      this.remote = this.open();
      this.signal?.addEventListener('abort', this.onAbort, { once: true });
    }
    // As driveStream does in-thread: a full queue must not hold the loop for its whole length.
    if (++this.taken % CHUNKS_PER_SLICE === 0) return nextTurn().then(this.take);
    return this.take();
  }

  return(): Promise<IteratorResult<StreamChunk>> {
    this.close();
    return Promise.resolve(DONE);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.remote !== undefined && !this.remote.done) this.remote.abort(new Error('the consumer stopped reading'));
  }
}

/**
 * One worker thread that runs provider streams for every adapter of the process. Started on the
 * first stream, ended after `idleMs` without one; a worker that dies fails its open streams with
 * a transient error (the gate retries them) and the next stream starts a fresh one.
 */
export class StreamThread {
  private worker: Worker | undefined;
  private readonly known = new Set<number>();
  private readonly configs = new Map<number, PortableAdapterConfig>();
  private readonly streams = new Map<number, RemoteStream>();
  private nextStreamId = 1;
  private nextAdapterId = 1;
  private starts = 0;
  private failures = 0;
  private lastFailure: string | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly idleMs: number;
  private readonly workerUrl: URL | string;

  constructor(options: StreamThreadOptions = {}) {
    this.logger = options.logger ?? silentLogger();
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.workerUrl = options.workerUrl ?? createRequire(import.meta.url).resolve('@sylk/llm/stream-worker');
  }

  /** For status and tests: the worker's state, load and history. */
  stats(): StreamThreadStats {
    let bufferedChunks = 0;
    for (const stream of this.streams.values()) bufferedChunks += stream.buffered;
    return {
      running: this.worker !== undefined,
      openStreams: this.streams.size,
      bufferedChunks,
      starts: this.starts,
      failures: this.failures,
      ...(this.lastFailure !== undefined ? { lastFailure: this.lastFailure } : {}),
    };
  }

  register(config: PortableAdapterConfig): number {
    const id = this.nextAdapterId++;
    this.configs.set(id, config);
    return id;
  }

  forget(adapterId: number): void {
    this.configs.delete(adapterId);
    if (this.known.delete(adapterId)) this.post({ type: 'forget', adapterId });
  }

  open(adapterId: number, request: LLMRequest): RemoteStream {
    const config = this.configs.get(adapterId);
    if (config === undefined) throw new Error(`adapter ${adapterId} is not registered with the stream thread`);
    this.ensureWorker();
    if (!this.known.has(adapterId)) {
      this.post({ type: 'adapter', adapterId, config });
      this.known.add(adapterId);
    }
    const stream = new RemoteStream(this.nextStreamId++, config.provider, this);
    this.streams.set(stream.id, stream);
    this.post({ type: 'stream', id: stream.id, adapterId, request });
    return stream;
  }

  /** Ends the worker; open streams fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.dropWorker('the LLM stream thread was shut down', 'llm.stream_thread_closed');
    await worker?.terminate();
  }

  /** @internal */
  post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  /** @internal a stream finished, failed or was aborted */
  closed(stream: RemoteStream): void {
    this.streams.delete(stream.id);
    if (this.streams.size === 0 && this.worker !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => void this.close(), this.idleMs).unref();
    }
  }

  private ensureWorker(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.worker !== undefined) return;
    const worker = new Worker(this.workerUrl, { resourceLimits: RESOURCE_LIMITS });
    worker.unref();
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    const died = (reason: string) => {
      if (this.worker !== worker) return;
      this.failures++;
      this.lastFailure = reason;
      this.logger.error({ err: reason }, 'LLM stream thread died; its streams fail and the next request starts a new one');
      this.dropWorker(`the LLM stream thread failed: ${reason}`, 'llm.stream_thread_failed');
    };
    worker.on('error', (err) => died(errorMessage(err)));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    this.worker = worker;
    this.starts++;
    this.logger.debug('LLM stream thread started');
  }

  /** Forgets the worker; its open streams fail with a transient error, which the gate retries. */
  private dropWorker(message: string, code: string): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.worker = undefined;
    this.known.clear();
    for (const stream of [...this.streams.values()]) {
      stream.finish(new ProviderError(message, { provider: stream.provider, inStream: stream.started }, { tier: ErrorTier.Transient, code }));
    }
  }

  private onMessage(msg: FromWorker): void {
    const stream = this.streams.get(msg.id);
    if (stream === undefined) return; // aborted here while the worker was still sending
    if (msg.type === 'chunks') stream.receive(msg.chunks);
    else if (msg.type === 'end') stream.finish();
    else stream.finish(fromPortableError(msg.error));
  }
}

/**
 * An adapter whose `stream` runs in a StreamThread; `generate`, `countTokens` and `healthCheck`
 * stay on this thread (rare, or synchronous). `fetch`, `clock` and `logger` apply to those only:
 * the worker streams with the platform's fetch and clock, and a catalog built from the same overrides.
 */
export function createThreadedAdapter(config: AdapterConfig, thread: StreamThread): ProviderAdapter {
  const local = createAdapter(config); // validates the config (a missing key throws here)
  // What the worker cannot take (functions, instances) stays here; the catalog goes as its overrides.
  const { fetch: _fetch, catalog, clock: _clock, logger: _logger, ...portable } = config;
  const adapterId = thread.register({ ...portable, ...(catalog !== undefined ? { catalogOverrides: catalog.overrides } : {}) });
  const clock = config.clock ?? systemClock;
  const errorCtx = (inStream: boolean) => ({ provider: config.provider, credentialSource: config.credentialSource, nowMs: clock.now(), inStream });
  return {
    name: local.name,
    stream: (request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk> => ({
      [Symbol.asyncIterator]: () => new RemoteChunks(() => thread.open(adapterId, request), signal, errorCtx),
    }),
    generate: (request, signal) => local.generate(request, signal),
    countTokens: (request) => local.countTokens(request),
    healthCheck: (signal) => local.healthCheck(signal),
    close: async () => {
      thread.forget(adapterId);
      await local.close();
    },
  };
}
