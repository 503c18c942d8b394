import {
  ErrorTier,
  SylkError,
  filterEnv,
  isSylkError,
  newId,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
} from '@sylk/core';
import { OutputCapture, type OutputCaptureOptions } from '../output/capture.js';
import { AdaptiveTimeout, defaultTimeoutPolicy, type TimeoutInfo, type TimeoutPolicy } from './adaptive-timeout.js';
import { BackgroundProcess, type BackgroundHandle } from './background.js';
import {
  cascadeBudgets,
  cleanupAfterStop,
  within,
  type CancelOptions,
  type CancelOutcome,
  type CancelReport,
} from './cancel.js';
import { ChildRun, loadExeca, type ChildOutcome } from './child-run.js';
import { DEFAULT_SHELL_METACHARACTERS, planCommand, toolName, type CommandPlan } from './command.js';
import { AllowedRoots, resolveWorkingDirectory } from './cwd.js';
import { defaultToolEnvBlocklist, withAdditions } from './env.js';
import { withGitHardening } from './git-env.js';
import { DEFAULT_KILL_WAITS } from './kill.js';
import { recordSpawn, type RecordedSpawn } from './process-log.js';
import { ProcessRegistry } from './registry.js';
import { BoundedSlotPool, type SlotPool } from './slots.js';
import { signalTree } from './process-group.js';
import type {
  BackgroundOptions,
  CancelScope,
  ExecResult,
  KillWaits,
  ProcessLog,
  ProcessRecord,
  ProgressEvent,
  RunOptions,
} from './types.js';
import type { CommandWrapper } from './wrapper.js';

type OutputLimits = Omit<OutputCaptureOptions, 'id' | 'spoolDir' | 'onLine' | 'onChunk' | 'observer' | 'logger'>;

export interface ToolExecutorOptions {
  /** Allowed working-directory roots: project, its staging, session temp, configured extras. */
  roots: string[];
  /** The attaching client's environment snapshot. */
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** Where raw output is spooled (session temp). */
  spoolDir: string;
  envBlocklist?: string[];
  shellMetacharacters?: string[];
  slots?: SlotPool;
  clock?: Clock;
  logger?: Logger;
  killWaits?: Partial<KillWaits>;
  timeouts?: Partial<TimeoutPolicy>;
  output?: OutputLimits;
  registry?: ProcessRegistry;
  processLog?: ProcessLog;
  /** Budget for cleanup after a cancel or timeout (5 s). */
  cleanupBudgetMs?: number;
  /** How long to wait for output pipes after the group ended (2 s). */
  drainMs?: number;
  /** Turns every planned command into what is spawned (the OS sandbox); may refuse a command. */
  wrapper?: CommandWrapper;
}

interface RunControl {
  abort: AbortController;
  /** Set before aborting: when the kill sequence must be over (monotonic ms). */
  deadline?: number;
  /** Once spawned: its group, and its timeout (a stop is not counted in it). */
  pgid?: number;
  timeout?: AdaptiveTimeout;
  /** Monotonic ms since when it is stopped (suspendRunning). */
  suspendedAt?: number;
}

/** A stopped tree (suspendRunning) gets the kill sequence's signals only once continued. */
function continueIfSuspended(control: RunControl): void {
  if (control.suspendedAt === undefined || control.pgid === undefined) return;
  control.suspendedAt = undefined;
  signalTree(control.pgid, 'SIGCONT');
}

interface RunningTool {
  id: string;
  command: string;
  scope: CancelScope;
  control: RunControl;
  result: Promise<ExecResult>;
}

interface Prepared {
  plan: CommandPlan;
  /** What is spawned: the plan itself, or the plan inside the wrapper (sandbox). */
  spawn: { file: string; args: string[] };
  tool: string;
  cwd: string;
  env: Record<string, string>;
  id: string;
  /** Undo what the wrapper set up for this command, once its process group has ended. */
  release?: () => void;
}

/**
 * Runs model-chosen commands safely: validated working directory, credential-free environment,
 * own process group, a subprocess slot, adaptive timeout, kill sequence, bounded output capture.
 */
export class ToolExecutor {
  readonly registry: ProcessRegistry;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly slots: SlotPool;
  private readonly killWaits: KillWaits;
  private readonly timeouts: TimeoutPolicy;
  /** The base environment minus blocked names, computed once (the snapshot is fixed per executor). */
  private readonly baseEnv: Record<string, string>;
  private readonly running = new Map<string, RunningTool>();
  private readonly roots: AllowedRoots;

  constructor(private readonly options: ToolExecutorOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.slots = options.slots ?? new BoundedSlotPool();
    this.killWaits = { ...DEFAULT_KILL_WAITS, ...options.killWaits };
    this.timeouts = { ...defaultTimeoutPolicy(), ...options.timeouts };
    this.baseEnv = filterEnv(options.baseEnv, options.envBlocklist ?? defaultToolEnvBlocklist());
    this.registry = options.registry ?? new ProcessRegistry();
    this.roots = new AllowedRoots(options.roots);
  }

  /** Run a foreground command to completion (or timeout / cancellation). */
  run(command: string, opts: RunOptions): Promise<ExecResult> {
    const id = newId('run', this.clock.now());
    const control: RunControl = { abort: new AbortController() };
    const result = this.runTracked(id, control, command, opts).finally(() => this.running.delete(id));
    this.running.set(id, { id, command, scope: { sessionId: opts.sessionId, agentId: opts.agentId }, control, result });
    return result;
  }

  /** Start a long-running command (dev server, watcher) owned by a session; stdin is a pipe. */
  async startBackground(command: string, opts: BackgroundOptions): Promise<BackgroundHandle> {
    this.registry.ensureCapacity(opts.sessionId);
    // Counted in the subprocess pool for as long as it runs.
    const lease = await this.slots.acquireBackground?.(opts.signal);
    let prepared: Prepared;
    try {
      prepared = await this.prepare(command, opts, newId('bg', this.clock.now()), true);
    } catch (err) {
      lease?.release();
      throw err;
    }
    const process = new BackgroundProcess({
      ...prepared,
      command,
      sessionId: opts.sessionId,
      agentId: opts.agentId,
      spoolDir: this.options.spoolDir,
      output: this.options.output,
      onLine: opts.onLine,
      onProgress: opts.onProgress,
      clock: this.clock,
      logger: this.logger,
      killWaits: this.killWaits,
      drainMs: this.options.drainMs,
      processLog: this.options.processLog,
    });
    void process.exited.finally(() => {
      this.release(prepared);
      lease?.release();
    });
    if (process.pid === 0) {
      const failed = await process.exited;
      throw new SylkError(failed.message ?? `could not start ${prepared.tool}`, {
        tier: ErrorTier.Permanent,
        code: 'tools.spawn_failed',
        details: { command: prepared.plan.file, exitCode: failed.exitCode },
      });
    }
    this.registry.add(process);
    return process;
  }

  /**
   * Cancel every running foreground tool in scope (an agent, a session, or everything): kill
   * sequences within the cascading budget, output kept as partial results, cleanup reported.
   */
  async cancelAll(scope: CancelScope = {}, options: CancelOptions = {}): Promise<CancelReport> {
    const started = this.clock.monotonic();
    const budgets = cascadeBudgets(options.budgetMs, options.stageMarginMs);
    const targets = [...this.running.values()].filter((t) => inScope(t.scope, scope));
    if (targets.length > 0)
      emit(options.onProgress, { kind: 'cancelling', message: 'Cancelling operation…' }, this.logger);
    const deadline = started + budgets.toolMs;
    for (const target of targets) {
      target.control.deadline = deadline;
      target.control.abort.abort(
        new SylkError('cancelled by user', { tier: ErrorTier.Permanent, code: 'tools.cancelled' }),
      );
    }
    const uncleaned: string[] = [];
    const results = await Promise.all(
      targets.map(async (target): Promise<CancelOutcome> => {
        const base = { id: target.id, command: target.command };
        const settled = await within(
          target.result.then(
            (result) => ({ result }),
            (err: unknown) => ({ err }),
          ),
          budgets.totalMs - (this.clock.monotonic() - started),
        );
        if (settled === undefined) {
          uncleaned.push(`${target.command}: did not stop within ${budgets.totalMs} ms`);
          return { ...base, outcome: 'timeout' };
        }
        if ('err' in settled.value) return { ...base, outcome: 'not_started' };
        const { result } = settled.value;
        uncleaned.push(...(result.uncleaned ?? []));
        return { ...base, outcome: result.partial ? 'partial' : 'complete', result };
      }),
    );
    if (uncleaned.length > 0) {
      this.logger.warn({ uncleaned }, 'cleanup incomplete after cancellation');
      emit(
        options.onProgress,
        { kind: 'cleanup_incomplete', message: 'Cleanup incomplete, temp files may remain' },
        this.logger,
      );
    }
    return { results, uncleaned, durationMs: this.clock.monotonic() - started };
  }

  /** Daemon shutdown: cancel every foreground tool and stop every background process. */
  async close(options: CancelOptions = {}): Promise<CancelReport> {
    const [report] = await Promise.all([this.cancelAll({}, options), this.registry.stopAll()]);
    return report;
  }

  /**
   * Stops every running foreground command's process tree (SIGSTOP), as when a user's command
   * borrows the subprocess slot of a preempted pipeline; `resumeRunning` continues them, the
   * stop not counted in their timeouts. Returns how many commands it touched.
   */
  suspendRunning(): number {
    let n = 0;
    for (const t of this.running.values())
      if (t.control.pgid !== undefined && t.control.suspendedAt === undefined) {
        t.control.suspendedAt = this.clock.monotonic();
        signalTree(t.control.pgid, 'SIGSTOP');
        n++;
      }
    return n;
  }

  resumeRunning(): number {
    let n = 0;
    for (const t of this.running.values()) {
      const since = t.control.suspendedAt;
      if (t.control.pgid === undefined || since === undefined) continue;
      t.control.suspendedAt = undefined;
      t.control.timeout?.excuse(this.clock.monotonic() - since);
      signalTree(t.control.pgid, 'SIGCONT');
      n++;
    }
    return n;
  }

  /** Ids of foreground tools running now, for status displays. */
  runningTools(scope: CancelScope = {}): Array<{ id: string; command: string }> {
    return [...this.running.values()]
      .filter((t) => inScope(t.scope, scope))
      .map(({ id, command }) => ({ id, command }));
  }

  private async prepare(
    command: string,
    opts: { cwd: string; env?: Record<string, string> },
    id: string,
    background = false,
  ): Promise<Prepared> {
    await loadExeca();
    const plan = planCommand(command, this.options.shellMetacharacters ?? DEFAULT_SHELL_METACHARACTERS);
    const cwd = await resolveWorkingDirectory(opts.cwd, this.roots);
    const env = withGitHardening(withAdditions(this.baseEnv, opts.env));
    const prepared: Prepared = {
      plan,
      spawn: { file: plan.file, args: [...plan.args] },
      tool: toolName(plan),
      cwd,
      env,
      id,
    };
    const wrapper = this.options.wrapper;
    if (wrapper === undefined) return prepared;
    const wrapped = await wrapper.wrap({ file: plan.file, args: plan.args, cwd, env, background });
    return {
      ...prepared,
      spawn: { file: wrapped.file, args: wrapped.args },
      env: wrapped.env,
      release: wrapped.release,
    };
  }

  private release(prepared: Prepared): void {
    try {
      prepared.release?.();
    } catch (err) {
      this.logger.warn({ err, id: prepared.id }, 'command wrapper release failed');
    }
  }

  private async runTracked(id: string, control: RunControl, command: string, opts: RunOptions): Promise<ExecResult> {
    const prepared = await this.prepare(command, opts, id);
    const signal =
      opts.signal === undefined ? control.abort.signal : AbortSignal.any([opts.signal, control.abort.signal]);
    try {
      const lease = await this.slots.acquire(signal);
      try {
        return await this.execute(control, prepared, command, opts, signal);
      } finally {
        lease.release();
      }
    } finally {
      this.release(prepared);
    }
  }

  private async execute(
    control: RunControl,
    prepared: Prepared,
    command: string,
    opts: RunOptions,
    signal: AbortSignal,
  ): Promise<ExecResult> {
    const timeout = new AdaptiveTimeout(this.timeouts, this.clock, opts.timeoutMs);
    const capture = new OutputCapture({
      ...this.options.output,
      id: prepared.id,
      spoolDir: this.options.spoolDir,
      onLine: opts.onLine,
      observer: timeout,
      logger: this.logger,
    });
    const child = new ChildRun({
      ...prepared,
      stdin: 'ignore',
      gate: this.options.processLog !== undefined,
      capture,
      clock: this.clock,
      logger: this.logger,
      killWaits: this.killWaits,
      drainMs: this.options.drainMs,
      onProgress: opts.onProgress,
    });
    const record = this.record(prepared, child, command, opts);
    await record?.written;
    if (child.pid !== 0) Object.assign(control, { pgid: child.pgid, timeout });
    let stopCause: { kind: 'timeout'; info: TimeoutInfo } | { kind: 'cancelled' } | undefined;
    const onAbort = () => {
      stopCause ??= { kind: 'cancelled' };
      continueIfSuspended(control);
      void child.stop({ deadline: control.deadline });
    };
    if (child.pid !== 0) {
      timeout.start((info) => {
        stopCause ??= { kind: 'timeout', info };
        emit(
          opts.onProgress,
          { kind: 'timed_out', tool: prepared.tool, message: timeoutMessage(info, timeout.baseMs) },
          this.logger,
        );
        continueIfSuspended(control);
        void child.stop();
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    // After the abort check: a command cancelled while its record was written is stopped held, never run.
    child.release();
    let outcome: ChildOutcome;
    try {
      outcome = await child.done;
    } finally {
      timeout.stop();
      signal.removeEventListener('abort', onAbort);
      if (record !== undefined) this.options.processLog?.exited(record.record);
    }
    const killed = await child.killReport;
    const result: ExecResult = {
      id: prepared.id,
      command,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: false,
      partial: false,
      durationMs: outcome.durationMs,
      output: outcome.output,
      pid: child.pid,
      pgid: child.pgid,
    };
    if (outcome.spawnError !== undefined) result.message = outcome.spawnError.message;
    if (killed !== undefined) result.killed = killed;
    if (stopCause !== undefined && killed !== undefined && killed.endedBy !== 'exit') {
      Object.assign(
        result,
        stopCause.kind === 'timeout'
          ? {
              exitCode: 124,
              timedOut: true,
              partial: true,
              partialReason: 'timeout',
              message: timeoutMessage(stopCause.info, timeout.baseMs),
            }
          : {
              partial: true,
              partialReason: 'cancelled by user',
              message: `Cancelled by user; stopped ${prepared.tool} (${killed.endedBy})`,
            },
      );
      const uncleaned = await this.cleanup(child.pgid, prepared.tool, opts.cleanupPaths ?? []);
      if (uncleaned.length > 0) result.uncleaned = uncleaned;
    }
    return result;
  }

  private record(prepared: Prepared, child: ChildRun, command: string, opts: RunOptions): RecordedSpawn | undefined {
    if (child.pid === 0 || this.options.processLog === undefined) return undefined;
    const record: ProcessRecord = {
      id: prepared.id,
      pid: child.pid,
      pgid: child.pgid,
      startTime: child.startTime,
      command,
      sessionId: opts.sessionId,
      agentId: opts.agentId,
      background: false,
      startedAt: this.clock.now(),
    };
    return { record, written: recordSpawn(this.options.processLog, record, this.logger) };
  }

  private async cleanup(pgid: number, tool: string, paths: string[]): Promise<string[]> {
    const budget = this.options.cleanupBudgetMs ?? 5000;
    const done = await within(cleanupAfterStop(pgid, tool, paths), budget);
    if (done !== undefined) return done.value;
    this.logger.warn({ pgid, tool }, 'cleanup overran its budget');
    return [`cleanup of ${tool} did not finish within ${budget} ms`];
  }
}

function inScope(tool: CancelScope, scope: CancelScope): boolean {
  return (
    (scope.sessionId === undefined || tool.sessionId === scope.sessionId) &&
    (scope.agentId === undefined || tool.agentId === scope.agentId)
  );
}

function timeoutMessage(info: TimeoutInfo, baseMs: number): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return info.cause === 'ceiling'
    ? `Command timed out: it hit the ${seconds(info.elapsedMs)} ceiling`
    : `Command timed out after ${seconds(info.elapsedMs)} (base ${seconds(baseMs)}, no meaningful output for ${seconds(info.silentMs)})`;
}

function emit(onProgress: ((event: ProgressEvent) => void) | undefined, event: ProgressEvent, logger: Logger): void {
  try {
    onProgress?.(event);
  } catch (err) {
    logger.warn({ err: isSylkError(err) ? err.code : String(err) }, 'progress callback threw');
  }
}
