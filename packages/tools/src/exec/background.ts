import type { Clock, Logger } from '@sylk/core';
import { OutputCapture, type OutputCaptureOptions } from '../output/capture.js';
import { RecentBytes } from '../output/recent-bytes.js';
import type { StreamName } from '../output/types.js';
import { ChildRun } from './child-run.js';
import type { CommandPlan } from './command.js';
import { recordSpawn } from './process-log.js';
import type { ExecResult, KillReport, KillWaits, ProcessLog, ProcessRecord, ProgressEvent } from './types.js';

export interface BackgroundHandle {
  readonly id: string;
  readonly pid: number;
  readonly pgid: number;
  readonly sessionId: string;
  readonly command: string;
  readonly record: ProcessRecord;
  /** Output (both streams, interleaved) since `sinceOffset`; `truncated` when older bytes were dropped. */
  read(sinceOffset?: number): { text: string; nextOffset: number; truncated: boolean };
  /** Bytes of recent output held in memory for `read` (all of it is also in the spool). */
  readonly outputBytes: number;
  /** Memory pressure: keep only the newest `maxBytes` of that; returns the bytes dropped. */
  trimOutput(maxBytes: number): number;
  /** Write to the process's stdin; throws tools.stdin_closed once it has exited. */
  write(data: string | Buffer): void;
  /** Run the kill sequence (idempotent). */
  stop(): Promise<KillReport>;
  readonly exited: Promise<ExecResult>;
  readonly running: boolean;
  /** How it ended, once it has (undefined while running). */
  readonly result: ExecResult | undefined;
  /** `stop()` was called: it did not end on its own. */
  readonly stopRequested: boolean;
}

export interface BackgroundProcessOptions {
  id: string;
  command: string;
  plan: CommandPlan;
  /** What is actually spawned (the plan inside a sandbox); defaults to the plan. */
  spawn?: { file: string; args: readonly string[] };
  tool: string;
  cwd: string;
  env: Record<string, string>;
  sessionId: string;
  agentId?: string;
  spoolDir: string;
  output?: Omit<OutputCaptureOptions, 'id' | 'spoolDir' | 'onLine' | 'onChunk' | 'observer' | 'logger'>;
  /** Bytes kept for `read` (default 1 MiB); everything is also in the spool. */
  recentBytes?: number;
  onLine?: (line: string, stream: StreamName) => void;
  onProgress?: (event: ProgressEvent) => void;
  clock: Clock;
  logger: Logger;
  killWaits: KillWaits;
  drainMs?: number;
  processLog?: ProcessLog;
}

/** A session-owned long-running command with a pipe for stdin and a pollable output window. */
export class BackgroundProcess implements BackgroundHandle {
  readonly id: string;
  readonly sessionId: string;
  readonly command: string;
  readonly record: ProcessRecord;
  readonly exited: Promise<ExecResult>;
  private readonly child: ChildRun;
  private readonly recent: RecentBytes;
  private stopped = false;
  private done = false;
  private ended: ExecResult | undefined;

  constructor(options: BackgroundProcessOptions) {
    this.id = options.id;
    this.sessionId = options.sessionId;
    this.command = options.command;
    this.recent = new RecentBytes(options.recentBytes ?? 1024 * 1024);
    const capture = new OutputCapture({
      ...options.output,
      id: options.id,
      spoolDir: options.spoolDir,
      onLine: options.onLine,
      onChunk: (chunk) => this.recent.push(chunk),
      logger: options.logger,
    });
    this.child = new ChildRun({ ...options, stdin: 'pipe', gate: options.processLog !== undefined, capture });
    this.record = {
      id: options.id,
      pid: this.child.pid,
      pgid: this.child.pgid,
      startTime: this.child.startTime,
      command: options.command,
      sessionId: options.sessionId,
      agentId: options.agentId,
      background: true,
      startedAt: options.clock.now(),
    };
    const log = this.child.pid !== 0 ? options.processLog : undefined;
    const written = log === undefined ? Promise.resolve() : recordSpawn(log, this.record, options.logger);
    void written.then(() => this.child.release());
    const exited = this.child.done.then(async (outcome): Promise<ExecResult> => {
      this.done = true;
      if (log !== undefined) {
        await written; // (a process stopped while held ends before its record is written)
        log.exited(this.record);
      }
      const killed = await this.child.killReport;
      const stoppedBySignal = this.stopped && killed !== undefined && killed.endedBy !== 'exit';
      return {
        id: this.id,
        command: this.command,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        timedOut: false,
        partial: stoppedBySignal,
        ...(stoppedBySignal
          ? { partialReason: 'stopped', message: `Stopped ${options.tool} (${killed.endedBy})` }
          : {}),
        ...(outcome.spawnError ? { message: outcome.spawnError.message } : {}),
        durationMs: outcome.durationMs,
        ...(killed ? { killed } : {}),
        output: outcome.output,
        pid: this.child.pid,
        pgid: this.child.pgid,
      };
    });
    this.exited = exited.then((result) => (this.ended = result));
  }

  get result(): ExecResult | undefined {
    return this.ended;
  }

  get stopRequested(): boolean {
    return this.stopped;
  }

  get pid(): number {
    return this.child.pid;
  }

  get pgid(): number {
    return this.child.pgid;
  }

  get running(): boolean {
    return !this.done;
  }

  read(sinceOffset?: number): { text: string; nextOffset: number; truncated: boolean } {
    return this.recent.read(sinceOffset);
  }

  get outputBytes(): number {
    return this.recent.heldBytes;
  }

  trimOutput(maxBytes: number): number {
    return this.recent.trim(maxBytes);
  }

  write(data: string | Buffer): void {
    this.child.write(data);
  }

  stop(): Promise<KillReport> {
    this.stopped = true;
    return this.child.stop();
  }
}
