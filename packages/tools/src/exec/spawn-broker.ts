import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '@sylk/core';
import { runFileHere, runFileResult, type RunFile, type RunFileOptions, type RunFileResult } from './run-file.js';

/**
 * The broker's program: run each request with `execFile`, answer with what its callback got.
 * Source text rather than a file of its own, so it runs wherever this package is bundled or
 * installed. It reads nothing but its requests: each carries the command's whole environment.
 */
const BROKER_PROGRAM = `
const { execFile } = require('node:child_process');
const plain = (e) => e && { message: String(e.message), code: e.code, signal: e.signal ?? null, killed: e.killed === true };
process.on('message', (m) => {
  const answer = (err, stdout, stderr) => process.send({ id: m.id, err: plain(err), stdout, stderr });
  try {
    const options = { cwd: m.cwd, env: m.env, encoding: 'buffer', maxBuffer: m.maxBuffer, timeout: m.timeoutMs };
    const child = execFile(m.file, m.args, options, answer);
    child.stdin.on('error', () => {});
    child.stdin.end(m.input);
  } catch (err) {
    answer(err, Buffer.alloc(0), Buffer.alloc(0));
  }
});
process.on('disconnect', () => process.exit(0));
`;

interface Request {
  file: string;
  args: readonly string[];
  options: RunFileOptions;
  resolve: (result: RunFileResult) => void;
}

interface Answer {
  id: number;
  err: unknown;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

export interface SpawnBrokerOptions {
  logger: Logger;
  /** The broker process ends after this long without a request (started again by the next). */
  idleMs?: number;
  nodePath?: string;
}

/** Broker starts that ended at once in a row before runs stay in this process for good. */
const MAX_FAILED_STARTS = 3;

/**
 * Runs short commands (git plumbing for turn snapshots and HEAD) from a small helper process
 * instead of this one. Spawning forks the caller: from sylkd, whose memory is large, each fork
 * copies its page tables on the main thread, stalling every stream the daemon relays, many times
 * per turn. The helper's forks are cheap and stall nothing here. If the helper cannot run, or
 * dies with requests in flight, they run in this process instead: never lost, only slower.
 */
export class SpawnBroker {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Request>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private failedStarts = 0;
  private closed = false;

  constructor(private readonly opts: SpawnBrokerOptions) {}

  readonly run: RunFile = (file, args, options) => {
    const child = this.closed || this.failedStarts >= MAX_FAILED_STARTS ? undefined : this.ensureChild();
    if (child === undefined) return runFileHere(file, args, options);
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    return new Promise((resolve) => {
      const request: Request = { file, args, options, resolve };
      this.pending.set(id, request);
      const { cwd, env, input, timeoutMs, maxBuffer } = options;
      child.send({ id, file, args: [...args], cwd, env, input, timeoutMs, maxBuffer }, (err) => {
        if (err !== null && this.pending.delete(id)) this.runHere(request);
      });
    });
  };

  /** Whether the helper process is running now (for status and tests). */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Ends the helper; what it was running finishes in this process. */
  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.child?.kill('SIGKILL');
  }

  private ensureChild(): ChildProcess | undefined {
    if (this.child !== undefined) return this.child;
    let child: ChildProcess;
    try {
      child = spawn(this.opts.nodePath ?? process.execPath, ['--max-semi-space-size=1', '-e', BROKER_PROGRAM], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        serialization: 'advanced',
        env: {},
      });
    } catch (err) {
      this.failedStarts++;
      this.opts.logger.warn({ err }, 'spawn broker could not start; commands run in sylkd');
      return undefined;
    }
    let answeredAny = false;
    const gone = (code: number | null, signal: string | null) => {
      if (this.child !== child) return;
      this.child = undefined;
      const inFlight = [...this.pending.values()];
      this.pending.clear();
      if (inFlight.length > 0 || (!this.closed && code !== 0)) {
        // One that dies before answering anything cannot run here (no node, no memory): counted.
        if (!answeredAny) this.failedStarts++;
        this.opts.logger.warn(
          { code, signal, inFlight: inFlight.length },
          'spawn broker ended; its commands run in sylkd',
        );
      }
      for (const request of inFlight) this.runHere(request);
    };
    child.on('message', (message) => {
      answeredAny = true;
      this.answered(message as Answer);
    });
    child.on('error', (err) => {
      this.opts.logger.warn({ err }, 'spawn broker failed');
      if (child.pid === undefined) gone(null, null); // never started: no exit event follows
    });
    child.on('exit', gone);
    this.child = child;
    return child;
  }

  private answered(answer: Answer): void {
    const request = this.pending.get(answer.id);
    if (request === undefined) return;
    this.pending.delete(answer.id);
    this.failedStarts = 0;
    request.resolve(runFileResult(answer.err, asBuffer(answer.stdout), asBuffer(answer.stderr)));
    if (this.pending.size === 0) this.idleSoon();
  }

  private runHere(request: Request): void {
    void runFileHere(request.file, request.args, request.options).then(request.resolve);
  }

  private idleSoon(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const idle = this.child;
      if (this.pending.size > 0 || idle === undefined) return;
      // Retired now, not at its exit: a request that comes before it has exited starts a fresh
      // helper instead of sending to a closed channel (and running here).
      this.child = undefined;
      idle.disconnect();
    }, this.opts.idleMs ?? 30_000).unref();
  }
}

function asBuffer(view: Uint8Array | undefined): Buffer {
  if (view === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
