import type { execa as Execa } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { ErrorTier, SylkError, errorMessage, processStartTime, type Clock, type Logger } from '@sylk/core';
import type { OutputCapture } from '../output/capture.js';
import type { CapturedOutput, StreamName } from '../output/types.js';
import type { CommandPlan } from './command.js';
import { reapGroup, runKillSequence } from './kill.js';
import { canStart, gatedSpawn } from './spawn-gate.js';
import type { KillReport, KillWaits, ProgressEvent } from './types.js';

export interface ChildSpawnOptions {
  plan: CommandPlan;
  /** What is actually spawned (the plan inside a sandbox); defaults to the plan. */
  spawn?: { file: string; args: readonly string[] };
  cwd: string;
  env: Record<string, string>;
  stdin: 'ignore' | 'pipe';
  /**
   * Hold the command until `release()` (see spawn-gate.ts): for runs that are put on record
   * first, so that no command runs unrecorded. Ignored when the program would not start anyway.
   */
  gate?: boolean;
  capture: OutputCapture;
  tool: string;
  clock: Clock;
  logger: Logger;
  killWaits: KillWaits;
  /** After the leader exits and its group is reaped, how long to wait for the pipes to close. */
  drainMs?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ChildOutcome {
  exitCode: number | null;
  signal: string | null;
  /** Set when the program could not be started at all. */
  spawnError?: { code: string; message: string };
  durationMs: number;
  output: CapturedOutput;
  leftoversKilled: number;
}

interface LeaderExit {
  exitCode: number | null;
  signal: string | null;
}

let execa: typeof Execa | undefined;

/**
 * Loads execa (about a hundred modules) once, with the first command rather than with the program
 * that might run one: sylkd starts without it. {@link ChildRun} needs it loaded.
 */
export async function loadExeca(): Promise<void> {
  execa ??= (await import('execa')).execa;
}

/**
 * One spawned command in its own process group (detached ⇒ setsid, so pgid = pid): output into
 * the capture with backpressure, the group reaped when the leader exits, `stop()` for the kill
 * sequence. `done` settles once the leader is gone, the group is empty and the output is flushed.
 */
export class ChildRun {
  readonly pid: number;
  private startToken: { value: string | undefined } | undefined;
  readonly done: Promise<ChildOutcome>;
  private readonly startedAt: number;
  private exit: LeaderExit | undefined;
  private readonly exitWaiters: Array<() => void> = [];
  private stopping: Promise<KillReport> | undefined;
  private readonly stdinStream: NodeJS.WritableStream | null;
  private gateStream: Writable | undefined;

  constructor(private readonly options: ChildSpawnOptions) {
    const { plan, clock } = options;
    this.startedAt = clock.monotonic();
    const target = options.spawn ?? plan;
    const gated = options.gate === true && canStart(target.file, options.cwd, options.env.PATH);
    const spawn = gated ? gatedSpawn(target) : target;
    if (execa === undefined) throw new Error('ChildRun before loadExeca()');
    const subprocess = execa(spawn.file, spawn.args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      detached: true,
      cleanup: false,
      forceKillAfterDelay: false,
      stdio: gated ? [options.stdin, 'pipe', 'pipe', 'pipe'] : [options.stdin, 'pipe', 'pipe'],
      buffer: false,
      reject: false,
      windowsHide: true,
    });
    this.pid = subprocess.pid ?? 0;
    this.stdinStream = subprocess.stdin;
    subprocess.stdin?.on('error', (err) =>
      options.logger.debug({ pid: this.pid, err: errorMessage(err) }, 'child stdin error'),
    );
    if (gated && this.pid !== 0) {
      const gate = subprocess.stdio[3] as Writable;
      // The held shell may be gone already (killed before release): nothing to tell it.
      gate.on('error', (err) => options.logger.debug({ pid: this.pid, err: errorMessage(err) }, 'spawn gate error'));
      this.gateStream = gate;
    }
    subprocess.nodeChildProcess.on('exit', (exitCode, signal) => this.onExit({ exitCode, signal }));
    const streams: Array<[Readable, StreamName]> = [];
    if (subprocess.stdout) streams.push([subprocess.stdout, 'stdout']);
    if (subprocess.stderr) streams.push([subprocess.stderr, 'stderr']);
    const closed = Promise.all(streams.map(([stream, name]) => this.pump(stream, name, streams)));
    const result = subprocess.then(
      (r) => r,
      (err: unknown) => ({ failed: true, code: undefined, message: errorMessage(err), exitCode: undefined }),
    );
    if (this.pid === 0) {
      this.done = result.then(async (r) => {
        const code = 'code' in r && typeof r.code === 'string' ? r.code : 'ESPAWN';
        return this.outcome({ exitCode: code === 'EACCES' ? 126 : 127, signal: null }, 0, {
          code,
          message: spawnMessage(code, plan),
        });
      });
    } else {
      this.done = this.settle(closed, streams);
    }
  }

  get pgid(): number {
    return this.pid;
  }

  /** Start-time token for pid-reuse checks; read lazily (only records need it) while the process lives. */
  get startTime(): string | undefined {
    this.startToken ??= { value: this.pid === 0 ? undefined : processStartTime(this.pid) };
    return this.startToken.value;
  }

  /** Lets a gated command run (a no-op for one that was not held, or that stop() was called on: it never runs). */
  release(): void {
    if (this.stopping !== undefined) return;
    this.gateStream?.end('\n');
    this.gateStream = undefined;
  }

  hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Resolves true if the leader exits within `ms`. */
  waitForExit(ms: number): Promise<boolean> {
    if (this.exit !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          const at = this.exitWaiters.indexOf(waiter);
          if (at !== -1) this.exitWaiters.splice(at, 1);
          resolve(false);
        },
        Math.max(0, ms),
      );
      this.exitWaiters.push(waiter);
    });
  }

  /** Run the kill sequence once; later calls get the same report. */
  stop(options: { waits?: KillWaits; deadline?: number } = {}): Promise<KillReport> {
    this.stopping ??= (async () => {
      const report = await runKillSequence(
        {
          pgid: this.pgid,
          tool: this.options.tool,
          hasExited: () => this.hasExited(),
          waitForExit: (ms) => this.waitForExit(ms),
        },
        {
          waits: options.waits ?? this.options.killWaits,
          deadline: options.deadline,
          clock: this.options.clock,
          logger: this.options.logger,
          onProgress: this.options.onProgress,
        },
      );
      const outcome = await this.done;
      return { ...report, leftoversKilled: outcome.leftoversKilled };
    })();
    return this.stopping;
  }

  get killReport(): Promise<KillReport> | undefined {
    return this.stopping;
  }

  /** Write to the child's stdin (background processes only). */
  write(data: string | Buffer): void {
    const stdin = this.stdinStream;
    if (
      stdin === null ||
      this.exit !== undefined ||
      !(stdin as NodeJS.WritableStream & { writable: boolean }).writable
    ) {
      throw new SylkError(`cannot write to ${this.options.tool}: its input is closed`, {
        tier: ErrorTier.Permanent,
        code: 'tools.stdin_closed',
        details: { pid: this.pid },
      });
    }
    stdin.write(data);
  }

  private onExit(exit: LeaderExit): void {
    this.exit = exit;
    for (const waiter of this.exitWaiters.splice(0)) waiter();
  }

  private pump(stream: Readable, name: StreamName, all: Array<[Readable, StreamName]>): Promise<void> {
    const { capture, logger } = this.options;
    stream.on('data', (chunk: Buffer) => {
      if (capture.push(chunk, name)) return;
      // The spool is behind: stop reading so the child blocks instead of memory growing.
      for (const [s] of all) s.pause();
      capture.onDrain(() => {
        for (const [s] of all) s.resume();
      });
    });
    stream.on('error', (err) =>
      logger.debug({ pid: this.pid, stream: name, err: errorMessage(err) }, 'child stream error'),
    );
    return new Promise((resolve) => stream.once('close', () => resolve()));
  }

  private async settle(closed: Promise<unknown>, streams: Array<[Readable, StreamName]>): Promise<ChildOutcome> {
    const exit = await new Promise<LeaderExit>((resolve) => {
      if (this.exit !== undefined) resolve(this.exit);
      else this.exitWaiters.push(() => resolve(this.exit as LeaderExit));
    });
    const leftoversKilled = await reapGroup(this.pgid, this.options.killWaits.reapGraceMs ?? 100);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.drainMs ?? 2000))),
    ]);
    clearTimeout(timer);
    if (!drained) {
      // Something outside the group (it called setsid) still holds our pipes: stop listening.
      this.options.logger.warn({ pid: this.pid }, 'output pipes still open after the process group ended');
      for (const [s] of streams) s.destroy();
    }
    return this.outcome(exit, leftoversKilled);
  }

  private async outcome(
    exit: LeaderExit,
    leftoversKilled: number,
    spawnError?: ChildOutcome['spawnError'],
  ): Promise<ChildOutcome> {
    const output = await this.options.capture.finish();
    return {
      ...exit,
      spawnError,
      durationMs: this.options.clock.monotonic() - this.startedAt,
      output,
      leftoversKilled,
    };
  }
}

function spawnMessage(code: string, plan: CommandPlan): string {
  if (code === 'ENOENT') return `command not found: ${plan.file}`;
  if (code === 'EACCES') return `permission denied: ${plan.file}`;
  return `could not start ${plan.file}: ${code}`;
}
