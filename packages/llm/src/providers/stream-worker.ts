// Entry point of the provider stream thread (see threaded.ts): runs real adapters and posts
// their chunks to the main thread in batches, reading ahead at most MAX_UNACKED chunks.
import { parentPort } from 'node:worker_threads';
import { createCatalog } from '../catalog/index.js';
import type { LLMRequest, ProviderAdapter } from '../types.js';
import { createAdapter } from './factory.js';
import { inBatchesOfOne } from './stream.js';
import { MAX_BATCH, MAX_UNACKED, toPortableChunk, toPortableError, type FromWorker, type PortableChunk, type ToWorker } from './thread-protocol.js';

interface Job {
  controller: AbortController;
  unacked: number;
  resume: (() => void) | undefined;
}

const port = parentPort;
if (port === null) throw new Error('stream-worker.js runs as a worker thread only');
const post = (msg: FromWorker): void => port.postMessage(msg);
/** Adapters by id, or why one could not be built (its streams fail with that). */
const adapters = new Map<number, ProviderAdapter | Error>();
const jobs = new Map<number, Job>();

async function run(id: number, adapter: ProviderAdapter, request: LLMRequest): Promise<void> {
  const job: Job = { controller: new AbortController(), unacked: 0, resume: undefined };
  jobs.set(id, job);
  let batch: PortableChunk[] = [];
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    if (batch.length === 0) return;
    job.unacked += batch.length;
    post({ type: 'chunks', id, chunks: batch });
    batch = [];
  };
  // The adapter's chunks as parsed, a group at a time: a step per chunk here cost a promise and
  // a result object for each of tens of thousands of deltas a turn.
  try {
    const groups = adapter.streamBatches?.(request, job.controller.signal) ?? inBatchesOfOne(adapter.stream(request, job.controller.signal));
    for await (const chunks of groups) {
      for (const chunk of chunks) {
        batch.push(toPortableChunk(chunk));
        if (batch.length >= MAX_BATCH) flush();
      }
      if (batch.length > 0 && !flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      if (job.unacked >= MAX_UNACKED && !job.controller.signal.aborted) await new Promise<void>((resolve) => (job.resume = resolve));
    }
    flush();
    post({ type: 'end', id });
  } catch (err) {
    flush();
    post({ type: 'error', id, error: toPortableError(err) });
  } finally {
    jobs.delete(id);
  }
}

function wake(job: Job): void {
  const resume = job.resume;
  job.resume = undefined;
  resume?.();
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'adapter': {
      const { catalogOverrides, ...config } = msg.config;
      try {
        adapters.set(msg.adapterId, createAdapter({ ...config, catalog: createCatalog(catalogOverrides) }));
      } catch (err) {
        adapters.set(msg.adapterId, err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    case 'forget':
      adapters.delete(msg.adapterId);
      return;
    case 'stream': {
      const adapter = adapters.get(msg.adapterId) ?? new Error(`stream worker has no adapter ${msg.adapterId}`);
      if (adapter instanceof Error) {
        post({ type: 'error', id: msg.id, error: toPortableError(adapter) });
        return;
      }
      void run(msg.id, adapter, msg.request);
      return;
    }
    case 'cancel': {
      const job = jobs.get(msg.id);
      if (job === undefined) return;
      job.controller.abort(new Error(msg.reason));
      wake(job);
      return;
    }
    case 'credit': {
      const job = jobs.get(msg.id);
      if (job === undefined) return;
      job.unacked -= msg.chunks;
      if (job.unacked < MAX_UNACKED) wake(job);
      return;
    }
  }
});
