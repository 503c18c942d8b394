import { ErrorTier, SylkError, errorMessage, isSylkError, type Clock, type Logger } from '@sylk/core';
import type { AgentEvent, TaskHost, TaskReport, TaskSpec } from '@sylk/agents';
import type { EventKind } from '@sylk/sessions';
import type { Message } from '@sylk/llm';
import { StagingArea, type StagingConflict } from '@sylk/tools';
import { isFinal, PipelineRecords, type PipelineRecord, type PipelineState } from './records.js';
import type { PipelineScheduling } from './scheduling.js';
import { conflictNotice, keepConflictPatch } from './task-patch.js';
import type { SpanContext } from '../telemetry/turn-tracer.js';

/** What a task's agent run ended with (pipeline-agent.ts). */
export interface AgentRunOutcome {
  stopReason: 'end_turn' | 'max_turns' | 'cancelled' | 'budget' | 'error';
  /** The agent's last reply: the task's answer. */
  text: string;
  error?: SylkError;
}

export interface AgentRunHooks {
  signal: AbortSignal;
  /** The task's conversation: empty at its start, kept across a pause (its checkpoint). */
  history: Message[];
  /** The goal at the start; after a pause, the instruction to carry on. */
  resumed: boolean;
  /** Engineer tasks: where their writes go until the task ends. */
  staging?: StagingArea;
  emit: (event: AgentEvent) => void;
  /** Tracing on: the span of the spawn_task call that started the task (its turns' parent). */
  traceParent?: SpanContext;
}

export interface SessionPipelinesOptions {
  sessionId: string;
  projectRoot: string;
  sessionDir: string;
  /** `<data>/staging`: each engineer task's copy-on-write area is `<root>/<key>/`. */
  stagingRoot: string;
  scheduler: PipelineScheduling;
  /** Runs a task's agent to its end (pipeline-agent.ts). */
  runAgent: (task: PipelineRecord, hooks: AgentRunHooks) => Promise<AgentRunOutcome>;
  /** Appends to the session's event log. */
  post: (kind: EventKind, data: Record<string, unknown>) => void;
  /** A note the model reads at its next turn (a task that ended while nobody waited for it). */
  note: (text: string) => void;
  /** A task's resources (file handles, connections, memory estimate), all or nothing, before it starts. */
  bundle?: (owner: { sessionId: string; pipelineId: string }, signal: AbortSignal) => Promise<{ release(): void }>;
  /** Tracing on: the span of the spawn_task call running now (read when a task is spawned). */
  traceParent?: () => SpanContext | undefined;
  /** Known secrets out of the tasks file (redactDeep of the daemon's SecretValues). */
  redact?: (value: unknown) => unknown;
  settings: () => { maxPerSession: number; budgetUsd: number; queueTimeoutSeconds: number; priority: number };
  clock: Clock;
  logger: Logger;
}

/** Agent events a task's agent forwards to the session's log (tagged with `pipeline`); the rest stay inside. */
const FORWARDED = new Set<AgentEvent['type']>(['tool_started', 'tool_finished', 'notice', 'error', 'usage']);

/**
 * The delegated tasks of one session: spawned by its agent (spawn_task), run by the daemon's one
 * scheduler at pipeline priority, their events nested in the session's log, their staged edits
 * merged at the end unless a file changed meanwhile (then reported, never overwritten).
 */
export class SessionPipelines implements TaskHost {
  private readonly records: PipelineRecords;
  private readonly tasks: PipelineRecord[];
  private readonly controllers = new Map<string, AbortController>();
  /** Each unfinished task's conversation and staging, kept while it is paused. */
  private readonly checkpoints = new Map<string, { history: Message[]; staging?: StagingArea }>();
  private readonly wakers = new Set<() => void>();
  /** Tracing on: each unfinished task's parent span (its spawn_task call), for every run of its agent. */
  private readonly traceParents = new Map<string, SpanContext>();
  /** Listening to the daemon-wide scheduler only while a task is unfinished: an idle session must not be held by it. */
  private unsubscribe: (() => void) | undefined;
  private waiting = 0;
  private counter: number;

  constructor(private readonly opts: SessionPipelinesOptions) {
    this.records = new PipelineRecords(opts.sessionDir, opts.logger, opts.redact);
    this.tasks = this.records.load();
    this.counter = this.tasks.reduce((n, t) => Math.max(n, Number(t.id.slice(1)) || 0), 0);
  }

  /** Every task of the session, oldest first (`sylk ls`, `sylk top`). */
  list(): readonly PipelineRecord[] {
    return this.tasks;
  }

  /** Tasks not finished yet (the runtime stays loaded while any is). */
  get active(): number {
    return this.tasks.filter((t) => !isFinal(t.state)).length;
  }

  async spawn(spec: TaskSpec): Promise<TaskReport> {
    const settings = this.opts.settings();
    if (this.active >= settings.maxPerSession)
      throw new SylkError(`this session already has ${this.active} unfinished tasks (the limit)`, {
        code: 'pipelines.too_many',
        tier: ErrorTier.Transient,
        hint: 'Wait for some with wait_tasks, or cancel one with cancel_task (setting: pipelines.max_per_session).',
      });
    const dependsOn = spec.dependsOn.map((id) => this.find(id).key);
    // Refused before it is announced: a task the daemon cannot take is not listed as failed.
    this.opts.scheduler.assertAdmissible?.();
    const id = `t${this.counter + 1}`;
    const task: PipelineRecord = {
      id,
      key: `${this.opts.sessionId}.${id}`,
      role: spec.role,
      goal: spec.goal,
      files: spec.files,
      dependsOn,
      budgetUsd: spec.budgetUsd ?? settings.budgetUsd,
      state: dependsOn.length > 0 ? 'waiting' : 'queued',
      costUsd: 0,
      createdAt: this.opts.clock.now(),
    };
    const traceParent = this.opts.traceParent?.();
    if (traceParent !== undefined) this.traceParents.set(task.key, traceParent);
    this.unsubscribe ??= this.opts.scheduler.onChange((key, state) => this.scheduled(key, state));
    // Listed (and announced) first: the scheduler may start it at once.
    this.tasks.push(task);
    this.changed(task);
    try {
      this.opts.scheduler.submit({
        id: task.key,
        sessionId: this.opts.sessionId,
        priority: settings.priority,
        dependsOn,
        queueTimeoutMs: settings.queueTimeoutSeconds * 1000,
        run: ({ signal, attempt }) => this.execute(task, signal, attempt > 0),
      });
    } catch (err) {
      // Announced already: it ends failed, with the reason (the model reads the same).
      this.finish(task, 'failed', { error: errorMessage(err) });
      throw err;
    } finally {
      this.counter++;
    }
    return report(task);
  }

  async wait(ids: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<TaskReport[]> {
    const chosen = ids.length > 0 ? ids.map((id) => this.find(id)) : this.tasks.filter((t) => !isFinal(t.state));
    this.waiting++;
    try {
      const deadline = this.opts.clock.now() + timeoutMs;
      while (!signal.aborted && chosen.some((t) => !isFinal(t.state)) && this.opts.clock.now() < deadline)
        await this.nextChange(deadline - this.opts.clock.now(), signal);
    } finally {
      this.waiting--;
    }
    return chosen.map(report);
  }

  async cancel(id: string): Promise<TaskReport> {
    const task = this.find(id);
    await this.stop(task, 'cancelled by the agent');
    return report(task);
  }

  /** The user cancelled the session's work, or closed it: every unfinished task stops, staged edits discarded. */
  async cancelAll(reason: string): Promise<void> {
    await Promise.all(this.tasks.filter((t) => !isFinal(t.state)).map((t) => this.stop(t, reason)));
  }

  /** The session closes: its tasks are cancelled. */
  async close(): Promise<void> {
    await this.cancelAll('session closed');
    this.stopListening();
  }

  /** sylkd stops: unfinished tasks end `interrupted`, their staged edits kept on disk. */
  async shutdown(): Promise<void> {
    this.stopListening();
    const open = this.tasks.filter((t) => !isFinal(t.state));
    for (const t of open) this.controllers.get(t.key)?.abort(interruption());
    await Promise.all(open.map((t) => this.settled(t)));
    for (const t of open) if (!isFinal(t.state)) this.finish(t, 'interrupted', { error: 'interrupted: sylkd stopped' });
    for (const t of open) this.opts.scheduler.cancel(t.key, 'sylkd stopped');
    await this.records.save(this.tasks);
  }

  private async stop(task: PipelineRecord, reason: string): Promise<void> {
    if (isFinal(task.state)) return;
    const controller = this.controllers.get(task.key);
    // Running: its agent stops and the run ends it; not started yet: it ends here, before the scheduler says so.
    if (controller !== undefined)
      controller.abort(new SylkError(reason, { code: 'cancelled', tier: ErrorTier.Permanent }));
    else {
      // Queued, waiting or paused: a paused task's staged edits are discarded with it.
      await this.checkpoints
        .get(task.key)
        ?.staging?.abort()
        .catch(() => undefined);
      this.checkpoints.delete(task.key);
      this.finish(task, 'cancelled', { error: reason });
    }
    this.opts.scheduler.cancel(task.key, reason);
    await this.settled(task);
  }

  private find(id: string): PipelineRecord {
    const task = this.tasks.find((t) => t.id === id);
    if (task === undefined)
      throw new SylkError(`no task ${JSON.stringify(id)} in this session`, {
        code: 'pipelines.unknown_task',
        tier: ErrorTier.Permanent,
        hint: `Known tasks: ${this.tasks.map((t) => t.id).join(', ') || 'none'}.`,
      });
    return task;
  }

  /** The scheduler moved a task (queued, running, paused) or ended one that never ran (cancelled, timed out). */
  private scheduled(key: string, state: string): void {
    const task = this.tasks.find((t) => t.key === key);
    if (task === undefined || isFinal(task.state)) return;
    // Only a task with dependencies shows as waiting (the scheduler passes every new one through it).
    if (state === 'waiting' && task.dependsOn.length === 0) return;
    if (state === 'waiting' || state === 'queued' || state === 'paused') {
      if (task.state !== state) this.changed(Object.assign(task, { state }));
    } else if ((state === 'cancelled' || state === 'timed_out' || state === 'failed') && !this.controllers.has(key)) {
      const error =
        state === 'timed_out'
          ? `waited longer than pipelines.queue_timeout_seconds for a free slot`
          : 'a task it depends on did not finish';
      this.finish(task, state === 'timed_out' ? 'timed_out' : 'cancelled', { error });
    }
  }

  /** Runs on a scheduler slot: the agent, then the merge of its staged edits. */
  private async execute(task: PipelineRecord, signal: AbortSignal, resumed: boolean): Promise<void> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.controllers.set(task.key, controller);
    let staging: StagingArea | undefined;
    let bundle: { release(): void } | undefined;
    let paused = false;
    try {
      bundle = await this.opts.bundle?.({ sessionId: this.opts.sessionId, pipelineId: task.key }, controller.signal);
      task.startedAt ??= this.opts.clock.now();
      this.changed(Object.assign(task, { state: 'running' as const }));
      const checkpoint = this.checkpoints.get(task.key) ?? { history: [] };
      if (task.role === 'engineer')
        checkpoint.staging ??= await StagingArea.open({
          stagingRoot: this.opts.stagingRoot,
          pipelineId: task.key,
          projectRoot: this.opts.projectRoot,
          clock: this.opts.clock,
          logger: this.opts.logger,
        });
      staging = checkpoint.staging;
      this.checkpoints.set(task.key, checkpoint);
      const traceParent = this.traceParents.get(task.key);
      const outcome = await this.opts.runAgent(task, {
        signal: controller.signal,
        history: checkpoint.history,
        resumed,
        ...(staging !== undefined ? { staging } : {}),
        ...(traceParent !== undefined ? { traceParent } : {}),
        emit: (event) => this.forward(task, event, controller),
      });
      // Paused under pressure or for the user's work: its conversation and staged edits wait for the resume.
      paused = isPause(controller.signal);
      if (paused) {
        if (!isFinal(task.state)) this.changed(Object.assign(task, { state: 'paused' as const }));
      } else {
        this.checkpoints.delete(task.key);
        await this.conclude(task, outcome, controller.signal, staging);
      }
    } catch (err) {
      this.opts.logger.error({ err, task: task.key }, 'task failed');
      this.checkpoints.delete(task.key);
      await staging?.abort().catch(() => undefined);
      this.finish(task, 'failed', { error: errorMessage(err) });
    } finally {
      bundle?.release();
      signal.removeEventListener('abort', onAbort);
      this.controllers.delete(task.key);
    }
    // The scheduler keeps a pipeline paused (and runs it again on resume) only when its run rejects.
    if (paused) throw controller.signal.reason;
  }

  private async conclude(
    task: PipelineRecord,
    outcome: AgentRunOutcome,
    signal: AbortSignal,
    staging: StagingArea | undefined,
  ): Promise<void> {
    const reason: unknown = signal.reason;
    if (signal.aborted && isSylkError(reason) && reason.code === 'pipelines.interrupted') {
      // sylkd stops: the staged edits stay on disk, the task is reported interrupted.
      this.finish(task, 'interrupted', {
        error: 'interrupted: sylkd stopped',
        ...(staging !== undefined ? { stagingDir: staging.dir } : {}),
      });
      return;
    }
    if (outcome.stopReason !== 'end_turn' || signal.aborted) {
      await staging?.abort();
      const budget = isSylkError(reason) && reason.code === 'pipelines.budget';
      const cancelled = signal.aborted && !budget;
      const error = signal.aborted
        ? errorMessage(reason)
        : (outcome.error?.message ?? `stopped: ${outcome.stopReason}`);
      this.finish(task, cancelled ? 'cancelled' : 'failed', { error, result: outcome.text });
      return;
    }
    if (staging === undefined) {
      this.finish(task, 'done', { result: outcome.text });
      return;
    }
    // The merge checks for conflicts itself, one merge per project at a time: two tasks ending together cannot both win.
    try {
      const merged = await staging.merge();
      this.finish(task, 'done', { result: outcome.text, merged: [...merged.written, ...merged.deleted] });
    } catch (err) {
      const refused = isSylkError(err) && err.code === 'tools.staging_conflict';
      const conflicts = (refused ? await staging.conflicts() : []).map((c) => ({
        path: c.path,
        reason: CONFLICT_REASONS[c.reason],
      }));
      // The user can take its edits: a patch under the session's directory (task-patch.ts).
      const patch = refused
        ? await keepConflictPatch({
            staging,
            taskId: task.id,
            sessionDir: this.opts.sessionDir,
            conflicts,
            logger: this.opts.logger,
          })
        : undefined;
      this.finish(task, refused ? 'conflict' : 'failed', {
        result: outcome.text,
        ...(refused ? {} : { error: `its changes could not be merged: ${errorMessage(err)}` }),
        conflicts,
        ...(patch !== undefined ? { patch } : {}),
        stagingDir: staging.dir,
      });
      if (patch !== undefined)
        this.opts.post('notice', {
          message: conflictNotice(task.id, conflicts, patch),
          code: 'pipelines.conflict',
          pipeline: task.id,
          patch,
        });
    }
  }

  /** A task's agent event: nested in the session's log; its spending counted against its slice. */
  private forward(task: PipelineRecord, event: AgentEvent, controller: AbortController): void {
    if (!FORWARDED.has(event.type)) return;
    const { type, ...data } = event;
    this.opts.post(type as EventKind, { ...data, pipeline: task.id });
    if (event.type !== 'usage' || event.costUsd === undefined) return;
    task.costUsd += event.costUsd;
    if (task.costUsd > task.budgetUsd && !controller.signal.aborted)
      controller.abort(
        new SylkError(`spent its budget slice ($${task.budgetUsd.toFixed(2)})`, {
          code: 'pipelines.budget',
          tier: ErrorTier.Permanent,
        }),
      );
  }

  private finish(task: PipelineRecord, state: PipelineState, extra: Partial<PipelineRecord>): void {
    Object.assign(task, extra, { state, endedAt: this.opts.clock.now() });
    this.traceParents.delete(task.key);
    this.changed(task);
    // Nobody is waiting for it: the model hears of it at its next turn.
    if (this.waiting === 0)
      this.opts.note(`task ${task.id} (${task.role}) ended ${state}; wait_tasks shows its result`);
  }

  private changed(task: PipelineRecord): void {
    this.opts.post('pipeline', pipelineEvent(task));
    void this.records.save(this.tasks);
    for (const wake of [...this.wakers]) wake();
    if (this.active === 0) this.stopListening();
  }

  private stopListening(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private nextChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      this.wakers.add(done);
    });
  }

  private async settled(task: PipelineRecord): Promise<void> {
    const never = new AbortController().signal;
    while (!isFinal(task.state)) await this.nextChange(60_000, never);
  }
}

const CONFLICT_REASONS: Record<StagingConflict['reason'], string> = {
  changed: 'changed in the project since the task read it',
  created_exists: 'created by the task, but the project now has a file there',
  deleted_live: 'deleted from the project since the task read it',
  not_a_file: 'no longer a regular file in the project',
  outside_roots: 'now links outside the project',
};

function isPause(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return signal.aborted && isSylkError(reason) && reason.code === 'resources.paused';
}

function interruption(): SylkError {
  return new SylkError('sylkd stopped', { code: 'pipelines.interrupted', tier: ErrorTier.Transient });
}

function report(t: PipelineRecord): TaskReport {
  return {
    id: t.id,
    role: t.role,
    goal: t.goal,
    state: t.state,
    costUsd: t.costUsd,
    ...(t.result !== undefined ? { result: t.result } : {}),
    ...(t.error !== undefined ? { error: t.error } : {}),
    ...(t.merged !== undefined ? { merged: t.merged } : {}),
    ...(t.conflicts !== undefined ? { conflicts: t.conflicts } : {}),
    ...(t.patch !== undefined ? { patch: t.patch } : {}),
  };
}

/** The `pipeline` event: a task's state as the attached view and `sylk ls` show it. */
function pipelineEvent(t: PipelineRecord): Record<string, unknown> {
  return {
    pipeline: t.id,
    state: t.state,
    role: t.role,
    goal: t.goal.length > 200 ? `${t.goal.slice(0, 200)}…` : t.goal,
    costUsd: t.costUsd,
    ...(t.error !== undefined ? { error: t.error } : {}),
    ...(t.merged !== undefined && t.merged.length > 0 ? { merged: t.merged } : {}),
    ...(t.conflicts !== undefined && t.conflicts.length > 0 ? { conflicts: t.conflicts } : {}),
    ...(t.patch !== undefined ? { patch: t.patch } : {}),
    ...(t.stagingDir !== undefined ? { stagingDir: t.stagingDir } : {}),
  };
}
