import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { errorMessage, type Logger } from '@sylk/core';

// A checkpoint copies the WAL into the database file and fsyncs it, which would stall
// every session's relay if it ran on the main thread. SQLite lets a second connection run a
// PASSIVE checkpoint while the writer carries on, so logs opened with a Checkpointer turn
// automatic checkpoints off and hand them to this worker instead.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const open = new Map();
parentPort.on('message', ({ type, path }) => {
  if (type === 'forget') {
    open.get(path)?.close();
    open.delete(path);
    return;
  }
  try {
    let db = open.get(path);
    if (db === undefined) {
      db = new Database(path, { fileMustExist: true, timeout: 5000 });
      open.set(path, db);
    }
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ path });
  } catch (err) {
    parentPort.postMessage({ path, error: String(err && err.message) });
  }
});`;

/** One worker thread checkpointing the WALs of every event log of a process. */
export class Checkpointer {
  /** Started with the first checkpoint: an idle daemon (no session written yet) carries no thread. */
  private workerThread: Worker | undefined;
  private readonly inFlight = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private failedWith: string | undefined;

  constructor(private readonly logger: Logger) {}

  private get worker(): Worker {
    if (this.workerThread !== undefined) return this.workerThread;
    const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { betterSqlite3 } });
    this.workerThread = worker;
    worker.unref();
    worker.on('message', (msg: { path: string; error?: string }) => {
      if (msg.error !== undefined) this.logger.warn({ path: msg.path, err: msg.error }, 'background checkpoint failed');
      this.settle(msg.path);
    });
    worker.on('error', (err) => {
      this.failedWith = errorMessage(err);
      this.logger.error({ err: this.failedWith }, 'checkpoint worker died; logs fall back to checkpointing themselves');
      for (const path of [...this.inFlight]) this.settle(path);
    });
    return worker;
  }

  /** False once the worker has died: callers must then checkpoint on their own. */
  get healthy(): boolean {
    return this.failedWith === undefined;
  }

  /** Asks for a checkpoint of `path` unless one is already under way. */
  request(path: string): void {
    if (!this.healthy || this.inFlight.has(path)) return;
    this.inFlight.add(path);
    this.worker.postMessage({ type: 'checkpoint', path });
  }

  /** Closes the worker's connection to `path` (after any checkpoint already queued). */
  forget(path: string): void {
    if (this.healthy && this.workerThread !== undefined) this.workerThread.postMessage({ type: 'forget', path });
  }

  /** Resolves when no checkpoint is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.workerThread?.terminate();
  }

  private settle(path: string): void {
    this.inFlight.delete(path);
    if (this.inFlight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
