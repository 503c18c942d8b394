import { join } from 'node:path';
import { ErrorTier, SylkError, filterEnv, isSylkError, type Clock, type Logger, type Redactor } from '@sylk/core';
import { defaultTools, runTurn, type AgentEvent, type AgentGate, type AgentTool, type InstructionDirs } from '@sylk/agents';
import type { Message, ProviderName, Usage } from '@sylk/llm';
import type { AuditSink, PermissionManager } from '@sylk/security';
import type { EventKind, EventLog, SessionRecord, SessionRegistry, SessionState } from '@sylk/sessions';
import type { CompactionStats, EstimateTokens } from '@sylk/agents';
import { BoundedSlotPool, FileSystemManager, SnapshotStore, type ToolExecutor, type CommandWrapper } from '@sylk/tools';
import type { SylkConfig, ToolsConfig } from '@sylk/config';
import { HistoryFile, loadPendingInputs, savePendingInputs } from './history.js';
import { busyError, compactConversation } from './compact.js';
import { turnLimits, type ModelInfoFn } from './model-limits.js';
import { withMentions } from './mentions.js';
import { turnStreamSettings } from './thinking.js';
import { decidePermission, type ApprovalBridge, type PermissionRequest } from './permissions.js';
import type { McpTurn } from './mcp.js';
import type { LaunchContext } from '@sylk/mcp';
import { recordTurnSnapshot } from './undo.js';
import { projectGit, type RunGit } from './undo-commits.js';
import { fileAuditFor, newExecutor, processLogFor } from './audit-hooks.js';
import type { ProcessRecordStore } from './recovery-records.js';
import { answerInterruptedCalls, clearInterruptedRuns, loadInterruptedRuns, saveInterruptedRuns } from './recovery.js';

export interface RuntimeDeps {
  registry: SessionRegistry;
  gate: AgentGate;
  executor: ToolExecutor;
  fs: FileSystemManager;
  permissions: PermissionManager;
  bridge: (runtime: SessionRuntime) => ApprovalBridge;
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
  /** Records the project's files before and after each turn (undo/rollback, see undo.ts). */
  snapshots?: SnapshotStore;
  /** git in the project's own repository: HEAD per turn, so undo can take back local commits. */
  projectGit?: RunGit;
}

/**
 * A live session: its event log, conversation and tools, and the queue of user
 * inputs it works through one turn at a time. Sessions run with nobody attached;
 * every agent event is appended to the log, which is what clients replay and follow.
 */
export class SessionRuntime {
  readonly id: string;
  readonly log: EventLog;
  readonly history: Message[];
  readonly permissions: PermissionManager;
  readonly executor: ToolExecutor;
  attachedClients = 0;
  /** Inputs waiting for their turn (persisted with the current one, see PendingInputs). */
  private readonly queue: string[];
  /** The input of the turn in progress. */
  private currentInput: string | undefined;
  /** What an interrupted turn was asked, from before the restart; resume() restates it. */
  private interruptedTask: string | undefined;
  /** The restated task of an interrupted turn, which runs before the queue. */
  private resumeInput: string | undefined;
  private current: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly historyFile: HistoryFile;
  private readonly inputsPath: string;

  constructor(
    private record: SessionRecord,
    private readonly deps: RuntimeDeps,
  ) {
    this.id = record.id;
    this.log = deps.registry.events(record.id);
    this.historyFile = new HistoryFile(deps.sessionDir, deps.logger, deps.secrets === undefined ? undefined : (text) => (deps.secrets as Redactor).redact(text));
    this.inputsPath = join(deps.sessionDir, 'inputs.json');
    this.history = this.historyFile.load();
    const pending = loadPendingInputs(this.inputsPath, deps.logger);
    this.queue = pending.queued;
    // A current input of a session not marked interrupted never started its turn: queue it again.
    if (pending.current !== undefined && !record.interrupted) this.queue.unshift(pending.current);
    else this.interruptedTask = pending.current;
    this.permissions = deps.permissions;
    this.executor = deps.executor;
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
    if (this.current !== undefined || length >= this.history.length) return false;
    this.history.length = Math.max(0, length);
    this.saveHistory();
    return true;
  }

  get turnRunning(): boolean {
    return this.current !== undefined;
  }

  get state(): SessionState {
    return this.deps.registry.get(this.id).state;
  }

  append(kind: EventKind, data: Record<string, unknown>): Promise<{ seq: number }> {
    return this.log.append(kind, data);
  }

  private async setState(to: SessionState, reason?: string): Promise<void> {
    const from = this.deps.registry.get(this.id).state;
    if (from === to) return;
    this.record = await this.deps.registry.setState(this.id, to, reason === undefined ? {} : { reason });
  }

  /** Queue user input; starts a turn unless one runs or the session is paused. */
  async input(text: string): Promise<number> {
    const state = this.state;
    if (state === 'closed') throw new SylkError(`session ${this.record.name} is closed`, { code: 'failed_precondition', tier: ErrorTier.UserFixable });
    const { prompt, mentions } = await withMentions(text, this.deps);
    const ev = await this.append('user_input', { text, ...(mentions.length > 0 ? { mentions } : {}) });
    this.queue.push(prompt);
    this.savePending();
    if (state !== 'paused') this.pump();
    return ev.seq;
  }

  /** Start working through the queue if nothing runs. */
  pump(): void {
    if (this.running !== undefined || this.stopping) return;
    // A failure here (a full disk under the registry) must fail the session, never the daemon.
    this.running = this.drain().catch((err: unknown) => this.deps.logger.error({ err, session: this.id }, 'session turn loop failed')).finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopping && this.state !== 'paused' && this.state !== 'closed') {
      const text = this.resumeInput ?? this.queue.shift();
      if (text === undefined) return;
      this.resumeInput = undefined;
      this.currentInput = text;
      this.savePending();
      await this.turn(text);
    }
  }

  private saveHistory(): void {
    try {
      this.historyFile.save(this.history);
    } catch (err) {
      // The conversation is still in memory: the next turn's save tries again (whole, see HistoryFile).
      this.deps.logger.error({ err, session: this.id }, 'could not save the session history');
      if (isSylkError(err) && err.code === 'storage.disk_full') {
        this.log.post('error', { code: err.code, message: err.message, tier: err.tier, ...(err.hint ? { hint: err.hint } : {}) }, () => undefined);
      }
    }
  }

  private savePending(): void {
    try {
      savePendingInputs(this.inputsPath, { ...(this.currentInput !== undefined ? { current: this.currentInput } : {}), queued: this.queue });
    } catch (err) {
      this.deps.logger.error({ err, session: this.id }, 'could not save pending inputs');
    }
  }

  private async turn(text: string): Promise<void> {
    const abort = new AbortController();
    this.current = abort;
    await this.setState('running');
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
      this.log.post(type as EventKind, data, appendFailed);
      // The history so far (this turn's user message, replies with their tool calls) is saved at
      // each reply and before each request, so a crash mid-turn keeps the turn's work (see resume).
      if (type === 'assistant_message' && event.partial !== true) this.saveHistory();
      if (type === 'compacted') this.historyReplaced();
    };
    let outcome: 'idle' | 'failed' = 'idle';
    await recordTurnSnapshot(this, 'before', this.history.length, this.deps.logger);
    try {
      await this.deps.ready(this.record.provider as ProviderName);
      const ask = (req: PermissionRequest) => decidePermission(this.permissions, this.deps.bridge(this), req, abort.signal);
      const extraTools = await this.deps.extraTools?.({ signal: abort.signal, emit, ask });
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
          gate: { stream: (req, signal) => (this.saveHistory(), this.deps.gate.stream(req, signal)) },
          executor: this.executor,
          fs: this.deps.fs,
          permissions: ask,
          ...(extraTools !== undefined && extraTools.length > 0 ? { tools: [...defaultTools(), ...extraTools] } : {}),
          emit,
          clock: this.deps.clock,
          logger: this.deps.logger,
          maxTurns: this.deps.config().sessions.max_turns,
          ...(this.deps.instructionDirs !== undefined ? { instructionDirs: this.deps.instructionDirs } : {}),
          ...turnStreamSettings(this.deps.config(), this.record.provider, this.record.model),
          ...turnLimits(this.deps.config(), this.record.provider as ProviderName, this.record.model, this.deps.modelInfo),
          estimateTokens: this.deps.estimateTokens,
          costOf: this.deps.costOf,
          ...(this.deps.secrets !== undefined ? { redact: this.deps.secrets } : {}),
        },
        text,
        abort.signal,
      );
      // The turn stopped because its events could not be recorded: fail it with that reason.
      if (isSylkError(abort.signal.reason) && abort.signal.reason.code === 'storage.disk_full') throw abort.signal.reason;
      if (result.stopReason === 'error') outcome = 'failed';
    } catch (err) {
      const e = err instanceof SylkError ? err : new SylkError((err as Error).message, { cause: err });
      await this.append('error', { code: e.code, message: e.message, tier: e.tier, ...(e.hint ? { hint: e.hint } : {}) }).catch(appendFailed);
      outcome = 'failed';
    } finally {
      this.current = undefined;
      // The reply's last events wait for their group commit at the next turn of the loop: let it
      // run before the history write, which serializes the turn's messages (a long reply's too).
      await new Promise<void>((resolve) => setImmediate(resolve));
      // At shutdown the history stays as saved at the last reply (the stop's own results are not the turn's).
      if (!this.stopping) this.saveHistory();
      await recordTurnSnapshot(this, 'after', this.history.length, this.deps.logger);
      // At shutdown the input stays: the restarted daemon restates it when the turn resumes.
      if (!this.stopping) {
        this.currentInput = undefined;
        this.savePending();
      }
    }
    // At shutdown the state stays "running": the next start marks the turn interrupted (resumable).
    if (!this.stopping && this.state !== 'paused' && this.state !== 'closed') await this.setState(outcome);
  }

  /** Cancel the running turn (the session stays). */
  cancel(reason = 'cancelled by user'): boolean {
    if (this.current === undefined) return false;
    this.current.abort(new SylkError(reason, { code: 'cancelled', tier: ErrorTier.Permanent }));
    return true;
  }

  /**
   * `/compact`: the older conversation summarised now. Refused while a turn runs; inputs sent
   * meanwhile wait for it, `cancel` stops it (the conversation then stays as it was).
   */
  async compact(): Promise<CompactionStats | undefined> {
    if (this.state === 'closed') throw new SylkError(`session ${this.record.name} is closed`, { code: 'failed_precondition', tier: ErrorTier.UserFixable });
    if (this.running !== undefined || this.stopping) throw busyError(this.record.name);
    const abort = new AbortController();
    this.current = abort;
    const work = compactConversation({
      sessionId: this.id,
      provider: this.record.provider as ProviderName,
      model: this.record.model,
      history: this.history,
      gate: this.deps.gate,
      emit: ({ type, ...data }) => {
        this.log.post(type as EventKind, data, (err) => this.deps.logger.error({ err, session: this.id }, 'event append failed'));
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
    this.running = work.then(() => undefined, () => undefined).finally(() => {
      this.current = undefined;
      this.running = undefined;
      this.pump(); // inputs that arrived meanwhile
    });
    return work;
  }

  /** A compaction replaced the conversation: saved whole at once. */
  private historyReplaced(): void {
    this.historyFile.replaced();
    this.saveHistory();
  }

  async pause(): Promise<void> {
    await this.setState('paused');
    this.cancel('session paused');
    await this.running;
  }

  async resume(): Promise<void> {
    const rec = this.deps.registry.get(this.id);
    this.deps.audit?.record({ category: 'session', action: 'session_resume', target: this.id, outcome: 'ok', details: { state: rec.state, interrupted: rec.interrupted } });
    if (rec.state === 'paused') await this.setState('idle');
    if (rec.interrupted && this.resumeInput === undefined && this.currentInput === undefined) {
      await this.append('notice', { message: 'resuming the interrupted turn' });
      const task = this.interruptedTask;
      this.interruptedTask = undefined;
      // A crash before the turn's first reply lost its user message too: restate the task then.
      const kept = task !== undefined && this.history.some((m) => m.role === 'user' && m.content === task);
      this.resumeInput = `Continue the task that was interrupted, from where it stopped.${task === undefined || kept ? ' sylkd stopped during the turn; calls it interrupted say so in their results.' : ` The task was:\n\n${task}`}`;
    }
    this.pump();
  }

  /** Stop the turn and the session's processes; closed is final. */
  async close(): Promise<void> {
    this.queue.length = 0;
    this.resumeInput = undefined;
    this.savePending();
    this.cancel('session closed');
    await this.running;
    await this.executor.close();
    await this.setState('closed');
  }

  /** Daemon shutdown: stop work, keep state so the turn resumes after restart. */
  async shutdown(): Promise<void> {
    // The commands it stops are reported to the turn's resume as interrupted, with their output.
    const running = this.executor.runningTools({ sessionId: this.id });
    const spoolDir = this.deps.spoolDir;
    if (running.length > 0 && spoolDir !== undefined) {
      saveInterruptedRuns(this.deps.sessionDir, running.map((t) => ({ id: t.id, command: t.command, pid: 0, killed: true, spoolPath: join(spoolDir, `${t.id}.log`) })));
    }
    this.stopping = true;
    this.cancel('sylkd is shutting down');
    await this.running;
    await this.executor.close();
  }

  /** Wait for the current turn (tests and shutdown). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

/** One subprocess pool for every session of the daemon (each executor has its own process registry). */
const sharedSlots = new BoundedSlotPool();

export interface RuntimeFactoryInput extends Omit<RuntimeDeps, 'executor' | 'fs'> {
  tempDir: string;
  tools: ToolsConfig;
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** The session's OS sandbox (every command's wrapper); absent: commands run plain. */
  sandbox?: (session: SandboxHooks) => CommandWrapper;
  /** The session's network proxy socket (host path), bound into the sandbox when set. */
  proxySocketPath?: () => string | undefined;
  /** Where every process group the session starts is recorded (killed after a crash). */
  processes?: ProcessRecordStore;
  /** Where the snapshot stores live (`<data>/snapshots`); absent: turns are not recorded. */
  snapshotRoot?: string;
  /** The session's MCP tools, given how its servers start: its sandbox and tool environment (see mcp.ts). */
  mcp?: (launch: LaunchContext) => (turn: McpTurn) => Promise<AgentTool[]>;
}

/** What a session hands its sandbox: where commands may write, its proxy, and how to tell the user. */
export interface SandboxHooks {
  writableRoots: string[];
  network: () => { proxySocketPath?: string };
  /** Called once, the first time a command runs unsandboxed. */
  onUnsandboxed: (info: { reason: string; fix: string }) => void;
}

/** A session's runtime with its own executor (roots: project, session temp, configured extras). */
export function createRuntime(record: SessionRecord, input: RuntimeFactoryInput): SessionRuntime {
  const { tempDir, tools, baseEnv, sandbox, proxySocketPath, processes, snapshotRoot, mcp, ...deps } = input;
  const roots = [record.projectRoot, tempDir, ...tools.extra_roots];
  // The notice goes to the runtime built below (the sandbox only calls it once a command runs).
  const built: { runtime?: SessionRuntime } = {};
  const wrapper = sandbox?.({
    writableRoots: roots,
    network: () => {
      const socket = proxySocketPath?.();
      return socket === undefined ? {} : { proxySocketPath: socket };
    },
    // One notice per session, with the reason and the fix.
    onUnsandboxed: ({ reason, fix }) => {
      built.runtime?.log.post('notice', { message: `Commands run WITHOUT the OS sandbox: ${reason}. Fix: ${fix}`, code: 'sandbox.unsandboxed' }, (err) =>
        deps.logger.error({ err }, 'event append failed'),
      );
    },
  });
  const audited = deps.audit === undefined ? undefined : processLogFor(deps.audit);
  const processLog = processes === undefined ? audited : processes.processLog(record.id, audited);
  const executor = newExecutor(deps.audit, {
    roots,
    ...(processLog !== undefined ? { processLog } : {}),
    ...(wrapper !== undefined ? { wrapper } : {}),
    baseEnv,
    spoolDir: join(tempDir, 'spool'),
    ...(deps.secrets !== undefined ? { output: { redact: deps.secrets } } : {}),
    envBlocklist: tools.env_blocklist,
    shellMetacharacters: tools.shell_metacharacters,
    slots: sharedSlots,
    clock: deps.clock,
    logger: deps.logger,
    timeouts: { baseMs: tools.timeout.base_seconds * 1000, extendMs: tools.timeout.extend_seconds * 1000, ceilingMs: tools.timeout.ceiling_seconds * 1000 },
  });
  const fs = new FileSystemManager({
    roots: { project: record.projectRoot, temp: tempDir },
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.audit ? { audit: fileAuditFor(deps.audit) } : {}),
  });
  const snapshots = snapshotRoot === undefined ? undefined : new SnapshotStore({ storeRoot: snapshotRoot, projectRoot: record.projectRoot, env: baseEnv });
  // MCP servers start like commands: in the session's sandbox, with its environment minus the secret blocklist.
  const extraTools = mcp?.({ owner: record.id, env: filterEnv(baseEnv, tools.env_blocklist), ...(wrapper !== undefined ? { wrapper } : {}) });
  built.runtime = new SessionRuntime(record, { ...deps, ...(extraTools !== undefined ? { extraTools } : {}), executor, fs, spoolDir: join(tempDir, 'spool'), ...(snapshots !== undefined ? { snapshots, projectGit: projectGit(record.projectRoot, baseEnv) } : {}) });
  return built.runtime;
}
