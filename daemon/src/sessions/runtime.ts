import { join } from 'node:path';
import { ErrorTier, SylkError, isSylkError, type Clock, type Logger, type Redactor } from '@sylk/core';
import {
  defaultTools,
  runTurn,
  taskTools,
  type AgentEvent,
  type AgentGate,
  type AgentTool,
  type EndedProcess,
  type InstructionDirs,
} from '@sylk/agents';
import type { Message, ProviderName, Usage } from '@sylk/llm';
import type { AuditSink, PermissionManager } from '@sylk/security';
import type { ApprovalDecision, EventKind, EventLog, SessionRecord, SessionRegistry } from '@sylk/sessions';
import type { CompactionStats, EstimateTokens } from '@sylk/agents';
import type { FileSystemManager, SnapshotStore, ToolExecutor } from '@sylk/tools';
import type { SylkConfig } from '@sylk/config';
import { HistoryFile } from './history.js';
import { busyError, compactConversation } from './compact.js';
import type { ModelInfoFn } from './model-limits.js';
import { agentSettings } from './agent-settings.js';
import { withMentions } from './mentions.js';
import { decidePermission, type PermissionRequest } from './permissions.js';
import { SessionApprovals, type ApprovalRecorder } from './runtime-approvals.js';
import { TurnInputs } from './runtime-inputs.js';
import { RuntimeMachine, refusal, type RuntimeEvent } from './runtime-states.js';
import type { SessionPipelines } from '../pipelines/session-pipelines.js';
import type { TurnTracing } from '../telemetry/turn-tracer.js';
import type { McpTurn } from './mcp.js';
import { recordTurnSnapshot } from './undo.js';
import type { RunGit } from './undo-commits.js';
import { answerInterruptedCalls, clearInterruptedRuns, loadInterruptedRuns, saveInterruptedRuns } from './recovery.js';

export interface RuntimeDeps {
  registry: SessionRegistry;
  gate: AgentGate;
  executor: ToolExecutor;
  fs: FileSystemManager;
  permissions: PermissionManager;
  /** Persists and announces the session's approvals (the runtime moves its state around them). */
  approvals: (runtime: SessionRuntime) => ApprovalRecorder;
  sessionDir: string;
  /** Where instructions are found beyond the project (`{config}/AGENTS.md`, parents up to home). */
  instructionDirs?: InstructionDirs;
  /** The session's effective config (its project's layers applied); read at each turn. */
  config: () => SylkConfig;
  clock: Clock;
  logger: Logger;
  /** Before each turn: make sure the provider can be reached (loads the SDK, checks the key). */
  ready: (provider: ProviderName) => Promise<void>;
  costOf: (model: string, usage: Usage) => number | undefined;
  /** A model's context window and output limit (the catalogue with the config's overrides). */
  modelInfo: ModelInfoFn;
  /** Token estimates for the context window check; one function for the runtime's life (its cache). */
  estimateTokens: EstimateTokens;
  /** The session's audit sink (session and project ids filled in): processes, files, lifecycle. */
  audit?: AuditSink;
  /** The daemon's known secrets: redacted from history, tool results and output (events: EventLogs). */
  secrets?: Redactor;
  /** Tools besides the built-in ones, resolved at the start of each turn (MCP servers', see mcp.ts). */
  extraTools?: (turn: McpTurn) => Promise<AgentTool[]>;
  /** Where the session's commands spool their raw output (quoted in interrupted tool results). */
  spoolDir?: string;
  /** Background processes that ended since the last turn, told to the model (background-processes.ts). */
  processNotes?: { withNotes(text: string): string; readonly pending: number };
  /** Its background processes that ended before this runtime loaded (kept on disk; process_output reads them). */
  endedProcess?: (id: string) => EndedProcess | undefined;
  /** Records the project's files before and after each turn (undo/rollback, see undo.ts). */
  snapshots?: SnapshotStore;
  /** git in the project's own repository: HEAD per turn, so undo can take back local commits. */
  projectGit?: RunGit;
  /** The session's delegated tasks (spawn_task); absent: the agent cannot delegate. */
  pipelines?: SessionPipelines;
  /** Told of each model request the session's own agent makes (its activity for the fair share). */
  activity?: () => void;
  /** Told when each turn ends, failed or not (the daemon's metrics). */
  onTurnEnded?: (failed: boolean) => void;
  /** OpenTelemetry traces of turns (daemon/src/telemetry); absent when tracing is off. */
  tracer?: TurnTracing;
}

/**
 * A live session: its event log, conversation and tools, and the queue of user
 * inputs it works through one turn at a time. Sessions run with nobody attached;
 * every agent event is appended to the log, which is what clients replay and follow.
 * What it does (and the registry state clients see) changes only through its state machine
 * (runtime-states.ts): `on(event)` takes a move and applies it.
 */
export class SessionRuntime {
  readonly id: string;
  readonly log: EventLog;
  readonly history: Message[];
  readonly permissions: PermissionManager;
  readonly executor: ToolExecutor;
  /** The session's approvals: its turns and its network proxy ask through `approvals.bridge`. */
  readonly approvals: SessionApprovals;
  private readonly machine: RuntimeMachine;
  private readonly inputs: TurnInputs;
  private attached = 0;
  /** Stops the turn or the compaction in progress. */
  private abort: AbortController | undefined;
  /** The turns or the compaction in progress, for pause, close and shutdown to wait for. */
  private work: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly historyFile: HistoryFile;

  constructor(
    private readonly record: SessionRecord,
    private readonly deps: RuntimeDeps,
  ) {
    this.id = record.id;
    this.log = deps.registry.events(record.id);
    this.historyFile = new HistoryFile(
      deps.sessionDir,
      deps.logger,
      deps.secrets === undefined ? undefined : (text) => (deps.secrets as Redactor).redact(text),
    );
    this.history = this.historyFile.load();
    this.machine = new RuntimeMachine(record.name, record.state);
    this.inputs = new TurnInputs(deps.sessionDir, record.interrupted, deps.logger);
    this.permissions = deps.permissions;
    this.executor = deps.executor;
    this.approvals = new SessionApprovals(deps.approvals(this), {
      // Only a running turn waits: the network proxy asking for a background process leaves the state alone.
      asked: () => {
        if (!this.machine.can('ask')) return false;
        void this.step('ask');
        return true;
      },
      answered: () => (this.machine.can('answered') ? this.step('answered') : Promise.resolve()),
    });
    if (record.interrupted) this.answerInterruptedCalls();
  }

  /**
   * The interrupted turn's history up to its last reply was saved (see turn); the calls of that
   * reply that never got a result get one saying they were interrupted, so the model decides and
   * nothing runs twice silently. Before any next turn: a reply's calls must all have results.
   */
  private answerInterruptedCalls(): void {
    if (answerInterruptedCalls(this.history, loadInterruptedRuns(this.deps.sessionDir)) > 0) this.saveHistory();
    clearInterruptedRuns(this.deps.sessionDir);
  }

  get projectRoot(): string {
    return this.record.projectRoot;
  }

  get snapshots(): SnapshotStore | undefined {
    return this.deps.snapshots;
  }

  get projectGit(): RunGit | undefined {
    return this.deps.projectGit;
  }

  /** Drops the conversation after its first `length` messages (rollback); saved at once. */
  rewindHistory(length: number): boolean {
    if (this.machine.busy || length >= this.history.length) return false;
    this.history.length = Math.max(0, length);
    this.saveHistory();
    return true;
  }

  /** `/model` (conversation-controls.ts): later turns use this provider and model; it must be ready (a key). */
  async useModel(provider: string, model: string): Promise<void> {
    await this.deps.ready(provider as ProviderName);
    this.deps.registry.setModel(this.id, provider, model);
    this.record.provider = provider;
    this.record.model = model;
  }

  /** A turn or a compaction runs or is being stopped: undo, compaction and deletion refuse. */
  get turnRunning(): boolean {
    return this.machine.busy;
  }

  get attachedClients(): number {
    return this.attached;
  }

  /** No turn or compaction runs or is ending, nobody is attached: the session may be unloaded (runtime-unload.ts). */
  get quiet(): boolean {
    return !this.machine.busy && this.work === undefined && this.attached === 0;
  }

  /** Notes for the model's next turn (background processes that ended) that exist only in memory. */
  get notesPending(): boolean {
    return (this.deps.processNotes?.pending ?? 0) > 0;
  }

  /** Saves the conversation now (before unloading); throws when it cannot be saved. */
  saveConversation(): void {
    this.historyFile.save(this.history);
  }

  /** A client attached (`sylk ls` counts them); `detach` when its stream ends. */
  attach(): void {
    this.attached++;
  }

  detach(): void {
    this.attached = Math.max(0, this.attached - 1);
  }

  private get stopping(): boolean {
    return this.machine.state === 'stopping';
  }

  append(kind: EventKind, data: Record<string, unknown>): Promise<{ seq: number }> {
    return this.log.append(kind, data);
  }

  /**
   * Takes a move of the state machine (or throws its refusal) and applies it: the registry state
   * is written at once (its `state_changed` event queued before anything the stopped work
   * reports), the work in progress is stopped with `reason`.
   */
  private on(event: RuntimeEvent, reason = 'cancelled by user'): Promise<void> {
    const move = this.machine.fire(event);
    const recorded =
      move.record === undefined
        ? Promise.resolve()
        : this.deps.registry.setState(this.id, move.record).then(() => undefined);
    if (move.stopsWork === true)
      this.abort?.abort(new SylkError(reason, { code: 'cancelled', tier: ErrorTier.Permanent }));
    return recorded;
  }

  /** A move the session makes by itself (turns, approvals): a registry write that fails is logged and the session goes on. */
  private step(event: RuntimeEvent): Promise<void> {
    const failed = (err: unknown) =>
      this.deps.logger.error({ err, session: this.id, event }, 'could not record the session state');
    try {
      return this.on(event).catch(failed);
    } catch (err) {
      failed(err);
      return Promise.resolve();
    }
  }

  /** Queue user input; starts a turn when the session is idle. */
  async input(text: string): Promise<number> {
    const state = this.machine.state;
    if (state === 'closed' || state === 'closing') throw refusal(this.record.name, state, 'start_turn');
    const { prompt, mentions } = await withMentions(text, this.deps);
    const ev = await this.append('user_input', { text, ...(mentions.length > 0 ? { mentions } : {}) });
    this.inputs.push(prompt);
    this.drain();
    return ev.seq;
  }

  /** Works through the queue, if the session is idle and has input. */
  private drain(): void {
    const first = this.startNext();
    if (first === undefined) return;
    // A failure here (a full disk under the registry) must fail the session, never the daemon.
    this.track(
      this.turns(first).catch((err: unknown) =>
        this.deps.logger.error({ err, session: this.id }, 'session turn loop failed'),
      ),
    );
  }

  private track(work: Promise<void>): void {
    this.work = work;
    void work.finally(() => {
      if (this.work === work) this.work = undefined;
    });
  }

  /** The next input's turn, started now if the session is idle: the state is never idle with input waiting. */
  private startNext(): { text: string; abort: AbortController; started: Promise<void> } | undefined {
    if (this.machine.state !== 'idle') return undefined;
    const text = this.inputs.take();
    if (text === undefined) return undefined;
    const abort = new AbortController();
    this.abort = abort;
    return { text, abort, started: this.step('start_turn') };
  }

  /** Turn after turn, while the session goes back to idle after each and inputs wait. */
  private async turns(first: { text: string; abort: AbortController; started: Promise<void> }): Promise<void> {
    for (let next: typeof first | undefined = first; next !== undefined;) {
      await next.started;
      const failed = await this.turn(next.text, next.abort);
      this.deps.onTurnEnded?.(failed);
      const ended = this.step(failed ? 'turn_failed' : 'turn_done');
      next = this.startNext();
      await ended;
    }
  }

  private saveHistory(): void {
    try {
      this.historyFile.save(this.history);
    } catch (err) {
      // The conversation is still in memory: the next turn's save tries again (whole, see HistoryFile).
      this.deps.logger.error({ err, session: this.id }, 'could not save the session history');
      if (isSylkError(err) && err.code === 'storage.disk_full') {
        this.log.post(
          'error',
          { code: err.code, message: err.message, tier: err.tier, ...(err.hint ? { hint: err.hint } : {}) },
          () => undefined,
        );
      }
    }
  }

  /** One turn (the session is running); true when it failed. */
  private async turn(text: string, abort: AbortController): Promise<boolean> {
    const trace = this.deps.tracer?.turn(this.id, this.record.provider, this.record.model);
    const appendFailed = (err: unknown) => {
      this.deps.logger.error({ err, session: this.id }, 'event append failed');
      // Events that cannot be recorded must not be produced: the turn fails with the reason.
      if (isSylkError(err) && err.code === 'storage.disk_full' && !abort.signal.aborted) abort.abort(err);
    };
    const emit = (event: AgentEvent) => {
      const { type, ...data } = event;
      // Once the daemon stops, what the stopping turn reports (its tools "cancelled", a pending
      // approval "denied", "cancelled by the user") did not happen: the next start records the
      // interruption once, and the turn's tool calls get results that say what did (see resume).
      if (this.stopping) return;
      trace?.event(event);
      this.log.post(type as EventKind, data, appendFailed);
      // The history so far (this turn's user message, replies with their tool calls) is saved at
      // each reply and before each request, so a crash mid-turn keeps the turn's work (see resume).
      if (type === 'assistant_message' && event.partial !== true) this.saveHistory();
      if (type === 'compacted') this.historyReplaced();
    };
    let outcome: 'idle' | 'failed' = 'idle';
    // A configuration error found before the turn ran (no key): the session stays idle, not failed.
    let ready = false;
    await recordTurnSnapshot(this, 'before', this.history.length, this.deps.logger);
    try {
      await this.deps.ready(this.record.provider as ProviderName);
      ready = true;
      const ask = (req: PermissionRequest) =>
        decidePermission(this.permissions, this.approvals.bridge, req, abort.signal);
      const extraTools = await this.deps.extraTools?.({ signal: abort.signal, emit, ask });
      const gate: AgentGate = {
        stream: (req, signal) => {
          this.saveHistory();
          this.deps.activity?.();
          return this.deps.gate.stream(req, signal);
        },
      };
      const result = await runTurn(
        {
          sessionId: this.id,
          agentId: 'engineer',
          agentType: 'engineer',
          projectRoot: this.record.projectRoot,
          provider: this.record.provider as ProviderName,
          model: this.record.model,
          history: this.history,
          // Before each model request the history so far (the previous round's tool results
          // included) is saved, as it is at each reply: a crash keeps the turn's work.
          gate: trace?.traced(gate) ?? gate,
          executor: this.executor,
          fs: this.deps.fs,
          permissions: ask,
          tools: [
            ...defaultTools(),
            ...(this.deps.pipelines !== undefined ? taskTools(this.deps.pipelines) : []),
            ...(extraTools ?? []),
          ],
          emit,
          ...(this.deps.endedProcess !== undefined ? { endedProcess: this.deps.endedProcess } : {}),
          ...agentSettings(this.deps, this.record.provider as ProviderName, this.record.model),
        },
        this.deps.processNotes?.withNotes(text) ?? text,
        abort.signal,
      );
      // The turn stopped because its events could not be recorded: fail it with that reason.
      if (isSylkError(abort.signal.reason) && abort.signal.reason.code === 'storage.disk_full')
        throw abort.signal.reason;
      if (result.stopReason === 'error') outcome = 'failed';
    } catch (err) {
      const e = err instanceof SylkError ? err : new SylkError((err as Error).message, { cause: err });
      await this.append('error', {
        code: e.code,
        message: e.message,
        tier: e.tier,
        ...(e.hint ? { hint: e.hint } : {}),
      }).catch(appendFailed);
      outcome = ready ? 'failed' : 'idle';
    } finally {
      if (this.abort === abort) this.abort = undefined;
      // The reply's last events wait for their group commit at the next turn of the loop: let it
      // run before the history write, which serializes the turn's messages (a long reply's too).
      await new Promise<void>((resolve) => setImmediate(resolve));
      // At shutdown the history stays as saved at the last reply (the stop's own results are not the turn's).
      if (!this.stopping) this.saveHistory();
      await recordTurnSnapshot(this, 'after', this.history.length, this.deps.logger);
      // At shutdown the input stays: the restarted daemon restates it when the turn resumes.
      if (!this.stopping) this.inputs.done();
      trace?.end(outcome === 'failed' ? 'error' : abort.signal.aborted ? 'cancelled' : 'ok');
    }
    // At shutdown the state stays "running" (see runtime-states.ts): the next start marks the turn interrupted (resumable).
    return outcome === 'failed';
  }

  /** Cancel the running turn or compaction (the session stays); false when nothing runs. */
  cancel(reason = 'cancelled by user'): boolean {
    // What the turn delegated stops with it (the user wants the spending to stop).
    const tasks = this.deps.pipelines?.active ?? 0;
    if (tasks > 0) void this.deps.pipelines?.cancelAll(reason);
    if (!this.machine.can('cancel')) return tasks > 0;
    void this.on('cancel', reason);
    return true;
  }

  /** Delegated tasks not finished yet (the runtime stays loaded while any is). */
  get tasksActive(): number {
    return this.deps.pipelines?.active ?? 0;
  }

  /** The session's delegated tasks (`sylk ls`, `sylk top`). */
  get pipelines(): SessionPipelines | undefined {
    return this.deps.pipelines;
  }

  /**
   * `/compact`: the older conversation summarised now. Refused while a turn runs; inputs sent
   * meanwhile wait for it, `cancel` stops it (the conversation then stays as it was).
   */
  async compact(): Promise<CompactionStats | undefined> {
    const state = this.machine.state;
    if (state === 'closed' || state === 'closing') throw refusal(this.record.name, state, 'compact');
    if (!this.machine.can('compact')) throw busyError(this.record.name);
    const abort = new AbortController();
    this.abort = abort;
    void this.on('compact');
    const work = compactConversation({
      sessionId: this.id,
      provider: this.record.provider as ProviderName,
      model: this.record.model,
      history: this.history,
      gate: this.deps.gate,
      emit: ({ type, ...data }) => {
        this.log.post(type as EventKind, data, (err) =>
          this.deps.logger.error({ err, session: this.id }, 'event append failed'),
        );
        if (type === 'compacted') this.historyReplaced();
      },
      signal: abort.signal,
      config: this.deps.config(),
      ready: this.deps.ready,
      modelInfo: this.deps.modelInfo,
      estimateTokens: this.deps.estimateTokens,
      costOf: this.deps.costOf,
      logger: this.deps.logger,
      ...(this.deps.secrets !== undefined ? { redact: this.deps.secrets } : {}),
    });
    this.track(
      work.then(
        () => this.compacted(abort),
        () => this.compacted(abort),
      ),
    );
    return work;
  }

  private compacted(abort: AbortController): void {
    if (this.abort === abort) this.abort = undefined;
    void this.step('compacted');
    this.drain(); // inputs that arrived meanwhile
  }

  /** A compaction replaced the conversation: saved whole at once. */
  private historyReplaced(): void {
    this.historyFile.replaced();
    this.saveHistory();
  }

  /** Inputs wait; the running turn or compaction is cancelled (returns once it has ended). */
  async pause(): Promise<void> {
    await this.on('pause', 'session paused');
    await this.work;
  }

  /** The queue runs again; an interrupted turn is restated first. */
  async resume(): Promise<void> {
    // A pause still stopping its turn: resumed once the turn has ended.
    while (this.machine.state === 'paused_busy' && this.work !== undefined) await this.work;
    if (!this.machine.can('resume')) throw refusal(this.record.name, this.machine.state, 'resume');
    const rec = this.deps.registry.get(this.id);
    this.deps.audit?.record({
      category: 'session',
      action: 'session_resume',
      target: this.id,
      outcome: 'ok',
      details: { state: rec.state, interrupted: rec.interrupted },
    });
    await this.on('resume');
    if (rec.interrupted && this.inputs.restate(this.history))
      await this.append('notice', { message: 'resuming the interrupted turn' });
    this.drain();
  }

  /**
   * An approval of the turn a previous daemon left interrupted was decided: nobody waits for it,
   * so the turn resumes and the decision applies when the agent asks again.
   */
  async decidedAfterRestart(kind: string, target: string, decision: ApprovalDecision): Promise<void> {
    if (this.machine.busy || !this.machine.can('resume') || !this.deps.registry.get(this.id).interrupted) return;
    this.approvals.predecide(kind, target, decision);
    await this.resume();
  }

  /** Stop the turn and the session's processes; closed is final. */
  close(): Promise<void> {
    if (this.machine.state === 'closed') return Promise.resolve();
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const moved = this.on('close', 'session closed');
    this.inputs.drop();
    await this.deps.pipelines?.close();
    await moved;
    await this.work;
    await this.executor.close();
    await this.on('closed');
  }

  /** Daemon shutdown: stop work, keep state so the turn resumes after restart. */
  async shutdown(): Promise<void> {
    if (this.closing !== undefined) await this.closing.catch(() => undefined);
    await this.deps.pipelines?.shutdown();
    if (!this.machine.can('shutdown')) return;
    // The commands it stops are reported to the turn's resume as interrupted, with their output.
    const running = this.executor.runningTools({ sessionId: this.id });
    const spoolDir = this.deps.spoolDir;
    if (running.length > 0 && spoolDir !== undefined) {
      saveInterruptedRuns(
        this.deps.sessionDir,
        running.map((t) => ({
          id: t.id,
          command: t.command,
          pid: 0,
          killed: true,
          spoolPath: join(spoolDir, `${t.id}.log`),
        })),
      );
    }
    void this.on('shutdown', 'sylkd is shutting down');
    await this.work;
    await this.executor.close();
  }

  /** Wait for the work in progress (tests and shutdown). */
  idle(): Promise<void> {
    return this.work ?? Promise.resolve();
  }
}
