import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorTier, SylkError, type Clock, type Logger, type Redactor } from '@sylk/core';
import { projectHash, type ConfigStore, type SylkDirs } from '@sylk/config';
import type { SqliteDatabase } from '@sylk/storage';
import {
  ApprovalStore,
  EventLogs,
  SessionRegistry,
  type Approval,
  type ApprovalDecision,
  type SessionRecord,
} from '@sylk/sessions';
import { PermissionManager, Role, ignoredAllowlistNotice, type AuditRecord, type AuditSink } from '@sylk/security';
import type { ProviderName } from '@sylk/llm';
import type { DaemonLlm } from '../llm/llm.js';
import { loadSessionProfile, profileForNewSession, saveSessionProfile } from '../llm/session-profile.js';
import type { BackgroundHandle, SpawnBroker } from '@sylk/tools';
import type { SessionRuntime } from './runtime.js';
import type { ApprovalRecorder } from './runtime-approvals.js';
import { refuseHomeRoot } from './home-root.js';
import { SessionNetworks } from './network.js';
import { ProjectConfigs, reportProjectConfig, sessionTools, type ProjectConfig } from './project-config.js';
import { cleanClientEnv, loadClientEnv, saveClientEnv, sessionBaseEnv } from './client-env.js';
import { sessionContext, type SessionContext } from './session-context.js';
import { ProcessRecordStore } from './recovery-records.js';
import { killRecordedLeftovers, leftoverNotice, saveInterruptedRuns } from './recovery.js';
import type { DaemonSandbox } from '../services/sandbox-service.js';
import type { McpHub } from './mcp.js';
import { RuntimeUnloader, sessionsComponent } from './runtime-unload.js';
import { ProcessHistory, sessionProcessList, type ListedProcess } from './process-history.js';
import type { DaemonResources } from '../pipelines/daemon-resources.js';
import { admitUnderPressure, type PipelineAdmission } from '../pressure/admission.js';
import { PipelineRecords, isFinal, type PipelineRecord } from '../pipelines/records.js';
import type { ToolRecorder } from '../metrics/tool-metrics.js';
import type { TurnTracing } from '../telemetry/turn-tracer.js';

const NO_TASKS: readonly PipelineRecord[] = [];

export interface SessionHostOptions {
  db: SqliteDatabase;
  dirs: SylkDirs;
  config: ConfigStore;
  llm: DaemonLlm;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  clock: Clock;
  logger: Logger;
  /** The daemon's audit log: permission verdicts, approvals, processes, files, session lifecycle. */
  audit?: AuditSink;
  /** The OS sandbox for every command sessions run (absent in tests that run commands plain). */
  sandbox?: DaemonSandbox;
  /** MCP servers of every project (absent: sessions offer no MCP tools). */
  mcp?: McpHub;
  /** The daemon's known secrets, redacted from every event, history, tool result, output and approval. */
  secrets?: Redactor;
  /** The machine as sessions share it: pools, fair share, the scheduler of delegated tasks; absent: sessions cannot delegate. */
  resources?: DaemonResources;
  /** The daemon's metrics: every session's commands and turns are counted there. */
  metrics?: { tools: ToolRecorder; turnEnded(failed: boolean): void };
  /** OpenTelemetry traces of every session's turns (daemon/src/telemetry); absent when off. */
  tracer?: TurnTracing;
  /** Before a session log first opens: the storage guard's integrity check (StorageGuard.beforeOpen). */
  beforeLogOpen?: (path: string) => void;
}

export interface CreateInput {
  projectRoot: string;
  name?: string;
  provider?: string;
  model?: string;
  prompt?: string;
  /** Credential profile (`--profile`, SYLK_PROFILE); '' = the project's, else the daemon's. */
  profile?: string;
  /** The user confirmed a root of `/` or the home directory (see refuseHomeRoot). */
  allowHomeRoot?: boolean;
  /** The creating client's environment for the session's commands (see client-env.ts). */
  clientEnv?: Readonly<Record<string, string>>;
}

/**
 * Every session of the daemon: the registry, the event logs, approvals, and the
 * runtimes of sessions that are loaded. The daemon is the only writer of each log.
 */
export class SessionHost {
  readonly registry: SessionRegistry;
  readonly logs: EventLogs;
  readonly approvals: ApprovalStore;
  private readonly runtimes = new Map<string, SessionRuntime>();
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Started with the first runtime that loads. */
  private spawnBroker: SpawnBroker | undefined;
  /** Attach streams end with this error when the daemon stops, so clients re-attach. */
  readonly shutdown = new AbortController();
  /** The network allowlist proxy of each loaded session. */
  readonly network: SessionNetworks;
  /** Every process group the sessions run, recorded so a crashed daemon's are killed at the next start. */
  readonly processes: ProcessRecordStore;
  /** Each project's config layers, watched while a session of it is loaded. */
  readonly projectConfigs: ProjectConfigs;
  /** The project config each loaded session holds. */
  private readonly projectHolds = new Map<string, ProjectConfig>();
  /** Unloads runtimes idle for `sessions.unload_idle_after_seconds` (see runtime-unload.ts). */
  private readonly unloader: RuntimeUnloader<SessionRuntime>;
  /** Told once unloaded runtimes are closed (sylkd's memory trim then collects them). */
  onUnloaded: (() => void) | undefined;
  /** Pressure control (set once it starts): a full disk quota refuses new tasks, memory pressure holds them. */
  pressure: PipelineAdmission | undefined;

  constructor(private readonly opts: SessionHostOptions) {
    const secrets = opts.secrets;
    this.logs = new EventLogs({
      dataDir: opts.dirs.data,
      clock: opts.clock,
      logger: opts.logger,
      ...(secrets !== undefined ? { redact: (text: string) => secrets.redact(text) } : {}),
      ...(opts.beforeLogOpen !== undefined ? { beforeOpen: opts.beforeLogOpen } : {}),
    });
    this.registry = new SessionRegistry({ db: opts.db, logs: this.logs, clock: opts.clock, logger: opts.logger });
    this.approvals = new ApprovalStore({ db: opts.db, clock: opts.clock });
    this.network = new SessionNetworks({
      runtimeDir: opts.dirs.runtime,
      fallbackDir: tmpdir(),
      config: () => this.config().security.network,
      logger: opts.logger,
      ...(opts.audit ? { audit: opts.audit } : {}),
    });
    if (opts.sandbox) opts.sandbox.proxyStatus = this.network;
    this.processes = new ProcessRecordStore(join(opts.dirs.state, 'processes'), opts.logger);
    this.projectConfigs = new ProjectConfigs({
      dirs: opts.dirs,
      env: opts.env,
      logger: opts.logger,
      clock: opts.clock,
    });
    this.unloader = new RuntimeUnloader({
      clock: opts.clock,
      logger: opts.logger,
      idleAfterSeconds: () => this.config().sessions.unload_idle_after_seconds,
      loaded: this.runtimes,
      pendingApprovals: (id) => this.approvals.pending(id).length,
      configWarnings: (id) => this.projectHolds.get(id)?.warnings() ?? [],
      release: async (id) => {
        opts.resources?.shares.leave(id);
        await this.network.close(id);
        await opts.mcp?.release(id);
        await this.releaseProject(id);
        this.logs.unload(id);
      },
      unloaded: () => this.onUnloaded?.(),
    });
  }

  /** When each session was last told its share moved (at most one such notice a minute). */
  private readonly shareNoticeAt = new Map<string, number>();

  /** A session's fair share of the pools moved by more than 10 points: told in its log, at most once a minute. */
  private shareMoved(sessionId: string, from: number, to: number): void {
    const now = this.opts.clock.now();
    if (now - (this.shareNoticeAt.get(sessionId) ?? 0) < 60_000) return;
    const rt = this.runtimes.get(sessionId);
    if (rt === undefined) return;
    this.shareNoticeAt.set(sessionId, now);
    const pct = (f: number) => `${Math.round(f * 100)}%`;
    const why = to < from ? 'other sessions became busier' : 'other sessions quietened';
    rt.log.post(
      'notice',
      {
        message: `This session's share of the machine (task slots and pools) moved from ${pct(from)} to ${pct(to)}: ${why}.`,
        code: 'resources.share_changed',
      },
      (err) => this.opts.logger.error({ err }, 'event append failed'),
    );
  }

  async start(): Promise<void> {
    this.opts.resources?.shares.onShareChange((id, from, to) => this.shareMoved(id, from, to));
    const stranded = await this.registry.markInterruptedOnStartup();
    if (stranded.length > 0)
      this.opts.logger.info({ count: stranded.length }, 'sessions interrupted by the previous daemon can be resumed');
    // Never a reason not to start: what cannot be handled is logged.
    await this.killLeftovers().catch((err: unknown) =>
      this.opts.logger.error({ err }, 'could not handle the processes left by the previous sylkd'),
    );
    this.expiryTimer = setInterval(() => {
      for (const a of this.approvals.expireDue()) void this.announceResolution(a);
    }, 1000);
    this.expiryTimer.unref();
    this.unloader.start();
  }

  /** `sylk status`: how many sessions are loaded. */
  component(): ReturnType<typeof sessionsComponent> {
    const total = this.registry.list().length;
    return sessionsComponent(this.runtimes.size, total, this.config().sessions.unload_idle_after_seconds);
  }

  /** Whether a session's runtime is in memory now (`sylk top`). */
  isLoaded(sessionId: string): boolean {
    return this.runtimes.has(sessionId);
  }

  /** The runtimes in memory now (memory pressure measures their conversations). */
  loadedRuntimes(): SessionRuntime[] {
    return [...this.runtimes.values()];
  }

  /** Memory pressure: unloads a session's runtime now if nothing holds it (see runtime-unload.ts). */
  unloadIfQuiet(sessionId: string): boolean {
    return this.unloader.unloadIfQuiet(sessionId);
  }

  private config() {
    return this.opts.config.current().config;
  }

  /**
   * What a previous daemon left running (it died without stopping it): killed when still the same
   * processes, told in each session's log, and kept for its resume as interrupted tool results.
   */
  private async killLeftovers(): Promise<void> {
    const bySession = await killRecordedLeftovers(this.processes, this.opts.logger);
    for (const [sessionId, runs] of bySession) {
      if (this.registry.find(sessionId) === undefined) continue;
      const sessionDir = this.logs.dirFor(sessionId);
      const spoolDir = join(this.opts.dirs.temp, sessionId, 'spool');
      const foreground = runs.filter((r) => !r.background);
      if (foreground.length > 0)
        saveInterruptedRuns(
          sessionDir,
          foreground.map((r) => ({
            id: r.id,
            command: r.command,
            pid: r.pid,
            killed: r.killed,
            spoolPath: join(spoolDir, `${r.id}.log`),
          })),
        );
      await this.logs.get(sessionId).append('notice', leftoverNotice(runs));
    }
  }

  private checkProject(projectRoot: string): string {
    if (!projectRoot.startsWith('/'))
      throw new SylkError(`project root must be an absolute path, got '${projectRoot}'`, {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
      });
    if (!existsSync(projectRoot) || !statSync(projectRoot).isDirectory()) {
      throw new SylkError(`project root ${projectRoot} is not a directory`, {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
      });
    }
    return projectRoot;
  }

  async create(input: CreateInput): Promise<SessionRecord> {
    const projectRoot = this.checkProject(input.projectRoot);
    const cfg = this.projectConfigs.peek(projectRoot).config;
    const { provider, model, warning } = this.opts.llm.sessionModel(cfg.llm, input);
    const clientEnv =
      input.clientEnv === undefined
        ? undefined
        : cleanClientEnv(input.clientEnv, sessionTools(cfg.tools, this.config().tools).env_blocklist);
    refuseHomeRoot(projectRoot, this.opts.homeDir, input.allowHomeRoot === true);
    const profile = profileForNewSession(input.profile ?? '', projectRoot, {
      dirs: this.opts.dirs,
      env: this.opts.env,
      daemonDefault: () => this.opts.llm.defaultProfile(),
    });
    // A configuration error (no key, provider disabled) refuses the session before it exists:
    // no failed session is left behind for a turn that could not run.
    if (input.prompt) await this.opts.llm.ready(provider as ProviderName, profile);
    const record = this.registry.create({ projectRoot, provider, model, ...(input.name ? { name: input.name } : {}) });
    saveSessionProfile(this.logs.dirFor(record.id), profile);
    if (clientEnv !== undefined) saveClientEnv(this.logs.dirFor(record.id), clientEnv);
    this.auditFor(record.id, record.projectRoot)?.record({
      category: 'session',
      action: 'session_create',
      target: record.id,
      outcome: 'ok',
      details: { name: record.name, provider, model, projectRoot: record.projectRoot },
    });
    if (warning !== undefined)
      await this.logs.get(record.id).append('notice', { message: warning, code: 'llm.unknown_model' });
    if (input.prompt) await (await this.runtime(record.id)).input(input.prompt);
    else await this.registry.setState(record.id, 'idle');
    return this.registry.get(record.id);
  }

  /** `/model`: a provider and model checked against the project's config (conversation-controls.ts). */
  sessionModel(
    projectRoot: string,
    input: { provider?: string; model?: string },
  ): ReturnType<DaemonLlm['sessionModel']> {
    return this.opts.llm.sessionModel(this.projectConfigs.peek(projectRoot).config.llm, input);
  }

  /**
   * The live runtime of a session, loading it on first use. The agent loop and the tool
   * layer are imported with the first runtime, so an idle daemon does not carry them.
   */
  async runtime(idOrName: string): Promise<SessionRuntime> {
    const record = this.registry.get(idOrName);
    return this.unloader.get(record.id, () =>
      this.load(record).catch(async (err: unknown) => {
        await this.releaseProject(record.id);
        throw err;
      }),
    );
  }

  private async load(record: SessionRecord): Promise<SessionRuntime> {
    const [{ createRuntime }, { SpawnBroker }] = await Promise.all([
      import('./runtime-factory.js'),
      import('@sylk/tools'),
    ]);
    // The sessions' git plumbing (turn snapshots, HEAD) spawns from a helper, not sylkd's main thread.
    this.spawnBroker ??= new SpawnBroker({ logger: this.opts.logger.child({ component: 'spawn-broker' }) });
    const temp = join(this.opts.dirs.temp, record.id);
    mkdirSync(temp, { recursive: true, mode: 0o700 });
    const project = await this.projectConfigs.acquire(record.projectRoot);
    this.projectHolds.set(record.id, project);
    const cfg = project.config();
    const profile = loadSessionProfile(this.logs.dirFor(record.id), () => this.opts.llm.defaultProfile());
    // Loaded again after an unload: its session grants carry over, what it was told is not told again.
    const kept = this.unloader.keptFor(record.id);
    kept?.permissions?.reload();
    const permissions = kept?.permissions ?? this.permissionsFor(record.projectRoot);
    const runtime = createRuntime(record, {
      registry: this.registry,
      gate: this.opts.llm.gateFor(profile),
      permissions,
      proxySocketPath: () => this.network.socketFor(record.id),
      approvals: (rt) => this.approvalRecorder(rt),
      processes: this.processes,
      sessionDir: this.logs.dirFor(record.id),
      tempDir: temp,
      snapshotRoot: join(this.opts.dirs.data, 'snapshots'),
      runFile: this.spawnBroker.run,
      ...(this.opts.resources !== undefined
        ? { activity: () => this.opts.resources?.shares.record(record.id, 'request') }
        : {}),
      ...(this.opts.resources !== undefined
        ? {
            pipelineHost: {
              scheduler: admitUnderPressure(this.opts.resources.scheduler, () => this.pressure),
              subprocesses: this.opts.resources.subprocesses,
              bundle: (owner: { sessionId: string; pipelineId: string }, signal: AbortSignal) =>
                (this.opts.resources as DaemonResources).taskBundle(
                  owner,
                  signal,
                  this.config().pipelines.queue_timeout_seconds * 1000,
                ),
              stagingRoot: this.opts.dirs.staging,
              observerPermissions: (root: string) => this.permissionsFor(root, Role.Observer),
            },
          }
        : {}),
      tools: sessionTools(cfg.tools, this.config().tools),
      baseEnv: sessionBaseEnv(this.opts.env, loadClientEnv(this.logs.dirFor(record.id))),
      config: () => project.config(),
      instructionDirs: { user: this.opts.dirs.config, home: this.opts.homeDir },
      clock: this.opts.clock,
      logger: this.opts.logger.child({ session: record.id }),
      ready: (provider) => this.opts.llm.ready(provider, profile),
      costOf: (model, usage) => this.opts.llm.costOf(model, usage),
      modelInfo: (provider, model, llm) => this.opts.llm.modelInfo(provider, model, llm),
      estimateTokens: (request) => this.opts.llm.estimateTokens(request),
      ...(this.opts.metrics ? { toolMetrics: this.opts.metrics.tools, onTurnEnded: this.opts.metrics.turnEnded } : {}),
      ...(this.opts.tracer ? { tracer: this.opts.tracer } : {}),
      ...(this.opts.secrets ? { secrets: this.opts.secrets } : {}),
      ...(this.opts.audit ? { audit: this.auditFor(record.id, record.projectRoot) } : {}),
      ...(this.opts.mcp
        ? {
            mcp: this.opts.mcp.session({
              sessionId: record.id,
              projectRoot: record.projectRoot,
              config: () => project.config(),
              ...(this.opts.audit ? { audit: this.auditFor(record.id, record.projectRoot) as AuditSink } : {}),
            }),
          }
        : {}),
      ...(this.opts.sandbox
        ? {
            sandbox: (hooks) =>
              (this.opts.sandbox as DaemonSandbox).forSession({
                ...hooks,
                logger: this.opts.logger.child({ session: record.id, component: 'sandbox' }),
              }),
          }
        : {}),
    });
    // Before any command can run: the sandbox binds the proxy's socket into every command.
    await this.network.open({
      sessionId: record.id,
      projectRoot: record.projectRoot,
      permissions: () => permissions,
      bridge: () => runtime.approvals.bridge,
      ...(this.opts.audit ? { audit: this.auditFor(record.id, record.projectRoot) } : {}),
    });
    this.runtimes.set(record.id, runtime);
    this.unloader.forget(record.id);
    this.unloadedTasks.delete(record.id); // its runtime has them now, and will change them
    this.opts.resources?.shares.join(record.id);
    await reportProjectConfig(
      project,
      (message) => runtime.append('notice', { message, code: 'config.project' }),
      this.opts.logger.child({ session: record.id }),
      kept?.configWarnings,
    );
    // A repository may ship `.sylk/local/permissions.yaml`; it grants nothing, and the session says so.
    const ignored = permissions.ignoredProjectAllowlist();
    if (ignored !== undefined && kept === undefined) {
      this.opts.logger.warn({ session: record.id, file: ignored }, 'ignored a permission allowlist inside the project');
      await runtime.append('notice', { message: ignoredAllowlistNotice(ignored, permissions.allowlistPath) });
    }
    return runtime;
  }

  private async releaseProject(sessionId: string): Promise<void> {
    const held = this.projectHolds.get(sessionId);
    this.projectHolds.delete(sessionId);
    await held?.release();
  }

  /** What `sylk status <session>` shows: instruction files, the commands' environment, config files. */
  async context(idOrName: string): Promise<SessionContext & { sessionId: string }> {
    const record = this.registry.get(idOrName);
    const loaded = this.projectHolds.get(record.id)?.loaded() ?? this.projectConfigs.peek(record.projectRoot);
    const ctx = await sessionContext({
      projectRoot: record.projectRoot,
      sessionDir: this.logs.dirFor(record.id),
      daemonEnv: this.opts.env,
      loaded,
      envBlocklist: sessionTools(loaded.config.tools, this.config().tools).env_blocklist,
      instructionDirs: { user: this.opts.dirs.config, home: this.opts.homeDir },
    });
    return { ...ctx, sessionId: record.id };
  }

  /** The audit sink of one session: its records carry the session and project ids. */
  private auditFor(sessionId: string, projectRoot: string): AuditSink | undefined {
    const audit = this.opts.audit;
    if (audit === undefined) return undefined;
    let projectId = '';
    try {
      projectId = projectHash(projectRoot);
    } catch {
      // The project directory is gone (a deleted session's): records keep the session id.
    }
    return { record: (r: AuditRecord) => audit.record({ ...r, sessionId, projectId }) };
  }

  /** The user's allowlist for a project: in Sylk's state dir, keyed by the project's real path. */
  allowlistFile(projectRoot: string): string {
    let hash: string;
    try {
      hash = projectHash(projectRoot);
    } catch {
      throw new SylkError(`project root ${projectRoot} does not exist`, {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
      });
    }
    return join(this.opts.dirs.state, 'permissions', `${hash}.yaml`);
  }

  /** A permission manager for a project (reads the user's allowlist file for it). */
  permissionsFor(projectRoot: string, role: Role = Role.Worker): PermissionManager {
    if (!projectRoot.startsWith('/'))
      throw new SylkError(`project root must be absolute, got '${projectRoot}'`, {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
      });
    return new PermissionManager({
      projectRoot,
      allowlistFile: this.allowlistFile(projectRoot),
      role,
      homeDir: this.opts.homeDir,
      clock: this.opts.clock,
      logger: this.opts.logger,
      customSafeList: this.config().security.permissions.custom_safe_list,
      // An agent must never widen its own rights through Sylk's own files.
      protectedPaths: [this.opts.dirs.config, this.opts.dirs.data, this.opts.dirs.state],
    });
  }

  /** The project's allowlist file changed: every loaded session of that project re-reads it. */
  allowlistChanged(projectRoot: string, except?: SessionRuntime): void {
    for (const rt of this.runtimes.values())
      if (rt !== except && rt.projectRoot === projectRoot) rt.permissions.reload();
  }

  /** Persists a session's approvals; the runtime moves the session's state around them. */
  private approvalRecorder(rt: SessionRuntime): ApprovalRecorder {
    return {
      request: async (request) => {
        // What the user is shown (and the approvals table keeps) never carries a known secret.
        const req = this.opts.secrets === undefined ? request : this.opts.secrets.redactDeep(request);
        const timeout = this.config().security.approvals.timeout_seconds;
        const approval = this.approvals.request({
          sessionId: rt.id,
          agentId: 'engineer',
          kind: req.kind,
          summary: req.summary,
          detail: req.detail,
          reason: req.reason,
          ...(req.proposedRule ? { proposedRule: req.proposedRule } : {}),
          ...(timeout > 0 ? { expiresAt: this.opts.clock.now() + timeout * 1000 } : {}),
        });
        await rt.append('approval_requested', {
          approvalId: approval.id,
          kind: req.kind,
          summary: req.summary,
          detail: req.detail,
          reason: req.reason,
          proposedRule: req.proposedRule,
          agentId: 'engineer',
        });
        return approval;
      },
      wait: (approval, signal) => this.approvals.waitFor(approval.id, signal),
      allowlistChanged: () => this.allowlistChanged(rt.projectRoot, rt),
      ...(this.opts.audit ? { audit: this.auditFor(rt.id, rt.projectRoot) } : {}),
    };
  }

  /** Decide an approval; the first decision wins and every attached client sees it. */
  async decide(approvalId: string, decision: ApprovalDecision, message: string, by: string): Promise<Approval> {
    const approval = this.approvals.decide(approvalId, { decision, ...(message ? { message } : {}), decidedBy: by });
    await this.announceResolution(approval);
    // Nobody waits for it when its turn died with a previous daemon: the session's runtime resumes that turn with it.
    if (this.registry.get(approval.sessionId).interrupted)
      await (await this.runtime(approval.sessionId)).decidedAfterRestart(approval.kind, approval.detail, decision);
    return approval;
  }

  /** Deny every approval a session still waits for (close, rm): a turn waiting for one gets the denial. */
  private denyPending(sessionId: string, message: string, by: string): Approval[] {
    return this.approvals
      .pending(sessionId)
      .map((a) => this.approvals.decide(a.id, { decision: 'deny', message, decidedBy: by }));
  }

  private async announceResolution(a: Approval): Promise<void> {
    await this.logs.get(a.sessionId).append('approval_resolved', {
      approvalId: a.id,
      decision: a.decision,
      ...(a.message ? { message: a.message } : {}),
      by: a.decidedBy,
      state: a.state,
    });
  }

  /** Sessions with their live extras (pending approvals, attached clients, cost, delegated tasks). */
  describe(record: SessionRecord): SessionRecord & {
    pendingApprovals: number;
    attachedClients: number;
    costUsd: number;
    tasks: readonly PipelineRecord[];
  } {
    const rt = this.runtimes.get(record.id);
    return {
      ...record,
      lastSeq: rt ? rt.log.lastSeq : record.lastSeq,
      pendingApprovals: this.approvals.pending(record.id).length,
      attachedClients: rt?.attachedClients ?? 0,
      costUsd: this.opts.llm.sessionCost(record.id),
      // An unloaded session's tasks all ended: read from its file.
      tasks: this.tasksOf(record.id),
    };
  }

  /** What an unloaded session's tasks were, read once from its file (they change only while it is loaded). */
  private readonly unloadedTasks = new Map<string, readonly PipelineRecord[]>();

  /** A session's delegated tasks: its runtime's, or (unloaded) as its file left them. */
  private tasksOf(sessionId: string): readonly PipelineRecord[] {
    const rt = this.runtimes.get(sessionId);
    if (rt !== undefined) {
      this.unloadedTasks.delete(sessionId);
      return rt.pipelines?.list() ?? NO_TASKS;
    }
    let tasks = this.unloadedTasks.get(sessionId);
    if (tasks === undefined) {
      const read = new PipelineRecords(this.logs.dirFor(sessionId), this.opts.logger).load();
      tasks = read.length > 0 ? read : NO_TASKS;
      this.unloadedTasks.set(sessionId, tasks);
    }
    return tasks;
  }

  /** Unfinished delegated tasks of the loaded sessions (`sylk top`). */
  loadedTasks(): Array<{ session: SessionRecord; task: PipelineRecord }> {
    return [...this.runtimes.values()].flatMap((rt) => {
      const session = this.registry.find(rt.id);
      if (session === undefined) return [];
      return (rt.pipelines?.list() ?? []).filter((t) => !isFinal(t.state)).map((task) => ({ session, task }));
    });
  }

  /** Background processes the loaded sessions hold (one or all): running, then recently ended (`sylk top`, pressure). */
  backgroundProcesses(sessionId?: string): BackgroundHandle[] {
    return [...this.runtimes.values()]
      .filter((rt) => sessionId === undefined || rt.id === sessionId)
      .flatMap((rt) => rt.executor.registry.listWithEnded(rt.id));
  }

  /** `sylk ps`: the background processes of one session or all, loaded or not (process-history.ts). */
  processList(sessionId?: string): ListedProcess[] {
    const ids = sessionId !== undefined ? [sessionId] : this.registry.list().map((r) => r.id);
    return ids.flatMap((id) =>
      sessionProcessList(
        new ProcessHistory({
          sessionId: id,
          sessionDir: this.logs.dirFor(id),
          spoolDir: join(this.opts.dirs.temp, id, 'spool'),
          logger: this.opts.logger,
        }),
        this.runtimes.get(id)?.executor.registry.listWithEnded(id) ?? [],
      ),
    );
  }

  async closeSession(idOrName: string): Promise<SessionRecord> {
    const rt = await this.runtime(idOrName);
    // What the session waits for is denied as its turn stops (the turn audits the denial, attached
    // menus close, `sylk approvals` stops listing it); then the turn and, through its executor,
    // every background process the session started stop.
    const denied = this.denyPending(rt.id, 'session closed', 'sylk close');
    const closing = rt.close();
    for (const a of denied) await this.announceResolution(a);
    await closing;
    await this.network.close(rt.id);
    await this.opts.mcp?.release(rt.id);
    await this.releaseProject(rt.id);
    this.auditFor(rt.id, rt.projectRoot)?.record({
      category: 'session',
      action: 'session_close',
      target: rt.id,
      outcome: 'ok',
    });
    return this.registry.get(rt.id);
  }

  async deleteSession(idOrName: string): Promise<string> {
    const record = this.registry.get(idOrName);
    const rt = this.runtimes.get(record.id);
    if (rt?.turnRunning)
      throw new SylkError(`session ${record.name} is running; close it first`, {
        code: 'failed_precondition',
        tier: ErrorTier.UserFixable,
        hint: `Run \`sylk rm ${record.name} --force\` (it stops the turn first).`,
      });
    await this.unloader.pending(record.id);
    // An idle or paused session is closed on the way out: the registry deletes only finished ones.
    if (['created', 'idle', 'paused'].includes(record.state)) await (await this.runtime(record.id)).close();
    this.unloader.forget(record.id);
    await this.runtimes.get(record.id)?.executor.registry.stopSession(record.id);
    // A request its stopped turn left pending would be listed for a session that is gone.
    this.denyPending(record.id, 'the session was deleted', 'sylk rm');
    this.registry.delete(record.id);
    this.runtimes.delete(record.id);
    await this.network.close(record.id);
    await this.opts.mcp?.release(record.id);
    await this.releaseProject(record.id);
    this.logs.remove(record.id);
    this.unloadedTasks.delete(record.id);
    this.auditFor(record.id, record.projectRoot)?.record({
      category: 'session',
      action: 'session_delete',
      target: record.id,
      outcome: 'ok',
      details: { name: record.name },
    });
    return record.id;
  }

  /** Daemon shutdown: end attach streams, stop every turn and process, flush logs. */
  async close(): Promise<void> {
    this.shutdown.abort(new SylkError('sylkd is shutting down', { code: 'shutting_down', tier: ErrorTier.Transient }));
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    await this.unloader.stop();
    await Promise.all([...this.runtimes.values()].map((rt) => rt.shutdown()));
    await this.network.closeAll();
    await this.projectConfigs.closeAll();
    this.approvals.close();
    this.spawnBroker?.close();
    await this.logs.close();
    this.registry.close(); // after the logs: their last commits are recorded too
  }
}
