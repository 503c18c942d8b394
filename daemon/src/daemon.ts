import { existsSync, lstatSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from './health.js';
import { ErrorTier, SecretValues, SylkError, VERSION, systemClock, type Clock, type Logger } from '@sylk/core';
import { ConfigStore, ensureDir, loadConfig, resolveDirs, resolveSocketPath, type SylkDirs } from '@sylk/config';
import { openSystemDatabase, type SqliteDatabase } from '@sylk/storage';
import {
  ApprovalService,
  AuditService,
  ConfigService,
  CredentialService,
  DaemonService,
  DaemonState,
  McpService,
  PermissionService,
  ProcessService,
  SandboxService,
  SessionService,
  UsageService,
  addService,
  MAX_MESSAGE_BYTES,
  protocolGuard,
  unixTarget,
} from '@sylk/proto';
import { acquireLock, releaseLock } from './lock.js';
import { prepareSocketDir, removeStaleSocket } from './socket-dir.js';
import { openDaemonLog, type DaemonLog } from './logging.js';
import { stdoutIsJournal } from './journal.js';
import { daemonServiceImpl } from './services/daemon-service.js';
import { configServiceImpl } from './services/config-service.js';
import { configuredProfile, credentialServiceImpl, openCredentialStore } from './services/credential-service.js';
import type { CredentialStore } from '@sylk/security';
import { DaemonLlm } from './llm/llm.js';
import { registerEnvSecrets } from './llm/keys.js';
import { usageServiceImpl } from './llm/usage-service.js';
import { SessionHost } from './sessions/host.js';
import { DaemonResources } from './pipelines/daemon-resources.js';
import { DaemonSandbox, sandboxServiceImpl } from './services/sandbox-service.js';
import { IdleMemoryTrim, fullCollection } from './memory-trim.js';
import { approvalServiceImpl, permissionServiceImpl, sessionServiceImpl } from './services/session-service.js';
import { homedir } from 'node:os';
import { DaemonAudit } from './audit.js';
import { auditServiceImpl } from './services/audit-service.js';
import { McpHub } from './sessions/mcp.js';
import { mcpServiceImpl } from './services/mcp-service.js';
import { processServiceImpl } from './services/process-service.js';
import { StorageGuard, type StartChecks } from './storage-guard.js';
import { DaemonPressure } from './pressure/pressure.js';
import { DaemonMetrics } from './metrics/daemon-metrics.js';
import { startTracing } from './telemetry/tracing.js';
import { DaemonWeb } from './web/web.js';
import { topSnapshot } from './services/top.js';
import { addReflection } from './reflection.js';

export interface DaemonOptions {
  env: Readonly<Record<string, string | undefined>>;
  foreground: boolean;
  /** Pretty logs on stdout (foreground on a TTY). */
  prettyLogs: boolean;
  clock?: Clock;
  /** The databases' start-up checks, begun before the daemon's code loaded (early-checks.ts). */
  integrityChecks?: StartChecks;
}

/** Something that must be stopped, in reverse order of registration, at shutdown. */
export type ShutdownHook = (reason: string) => Promise<void> | void;

const HEALTH_SERVICES = [
  '',
  'sylk.v1.DaemonService',
  'sylk.v1.ConfigService',
  'sylk.v1.UsageService',
  'sylk.v1.SessionService',
  'sylk.v1.ApprovalService',
  'sylk.v1.PermissionService',
  'sylk.v1.CredentialService',
  'sylk.v1.AuditService',
  'sylk.v1.SandboxService',
  'sylk.v1.McpService',
  'sylk.v1.ProcessService',
];

/**
 * sylkd's composition root and lifecycle: lock → logs → config → storage →
 * gRPC on the Unix socket; the reverse on shutdown. Later components register
 * shutdown hooks so in-flight work is finished or checkpointed before the
 * databases close.
 */
export class Daemon {
  readonly dirs: SylkDirs;
  readonly socketPath: string;
  readonly lockPath: string;
  readonly startedAt: number;
  readonly clock: Clock;
  state: DaemonState = DaemonState.STARTING;
  logger!: Logger;
  config!: ConfigStore;
  db!: SqliteDatabase;
  /** Provider keys: environment → keychain → encrypted file (services/credential-service.ts). */
  credentials!: CredentialStore;
  /** The LLM gate and provider adapters (daemon/src/llm). */
  llm!: DaemonLlm;
  /** Sessions, their event logs, approvals and runtimes (daemon/src/sessions). */
  sessions!: SessionHost;
  /** The machine as sessions share it: subprocess and other pools, fair share, the scheduler of delegated tasks. */
  resources!: DaemonResources;
  /**
   * Every secret value this daemon holds (its environment's keys, the credential store's keys as
   * they are read or stored): redacted from the log, events, history, tool output, approvals and
   * RPC errors. One per daemon, injected into each of those.
   */
  readonly secrets = new SecretValues();
  /** The tamper-evident audit log (daemon/src/audit.ts); `audit.sink` is what components record through. */
  audit!: DaemonAudit;
  /** The OS sandbox every command of every session runs in (daemon/src/services/sandbox-service.ts). */
  sandbox!: DaemonSandbox;
  /** Backups and integrity checks of every SQLite file (daemon/src/storage-guard.ts). */
  storage!: StorageGuard;
  /** Every project's MCP servers (daemon/src/sessions/mcp.ts). */
  mcp!: McpHub;
  /** Memory pressure, the disk quota and pipeline degradation (daemon/src/pressure). */
  pressure!: DaemonPressure;
  /** The metrics registry (daemon/src/metrics): `prometheus()` for GET /metrics, `snapshot()` for `sylk metrics`. */
  metrics!: DaemonMetrics;
  /** The web dashboard (`sylk web`, daemon/src/web): its server is imported on first start. */
  web!: DaemonWeb;
  private log: DaemonLog | undefined;
  private server: Server | undefined;
  private health = new HealthImplementation(
    Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING' as const])),
  );
  private hooks: ShutdownHook[] = [];
  private stopping: Promise<void> | undefined;
  private readonly runningMarker: string;
  /** True when the previous daemon did not shut down cleanly. */
  recoveredFromCrash = false;
  /** Successful reloads since start (SIGHUP, file change or RPC). */
  reloadCount = 0;

  constructor(private readonly options: DaemonOptions) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.dirs = resolveDirs(options.env);
    this.socketPath = resolveSocketPath(options.env, this.dirs);
    this.lockPath = join(this.dirs.runtime, 'sylkd.lock');
    this.runningMarker = join(this.dirs.state, 'sylkd.running');
  }

  get env(): Readonly<Record<string, string | undefined>> {
    return this.options.env;
  }

  get logFile(): string {
    return this.log?.currentFile ?? '';
  }

  onShutdown(hook: ShutdownHook): void {
    this.hooks.push(hook);
  }

  async start(): Promise<void> {
    prepareSocketDir(this.socketPath);
    ensureDir(this.dirs.runtime);
    acquireLock(this.lockPath, this.socketPath, VERSION);
    try {
      for (const dir of [this.dirs.config, this.dirs.data, this.dirs.state, this.dirs.logs]) ensureDir(dir);
      // Logging settings come from config, and config warnings go to the log: read once, then open both.
      const startConfig = loadConfig({ dirs: this.dirs, env: this.options.env }).config;
      const daemonConfig = startConfig.daemon;
      // Before anything can log or record: the log's last pass redacts what is registered here.
      registerEnvSecrets(this.secrets, this.options.env, startConfig.tools.env_blocklist);
      this.log = await openDaemonLog({
        redact: (line) => this.secrets.redact(line),
        logsDir: this.dirs.logs,
        level: this.options.env.SYLK_LOG_LEVEL ?? daemonConfig.log_level,
        pretty: this.options.prettyLogs,
        journal: this.options.foreground && stdoutIsJournal(this.options.env),
        maxSizeMb: daemonConfig.log_max_size_mb,
        maxFiles: daemonConfig.log_max_files,
      });
      this.logger = this.log.logger;
      // The store logs one summary per load, warnings included.
      this.config = new ConfigStore({ dirs: this.dirs, env: this.options.env, logger: this.logger });
      // Early, so every later component can record; closed last (after the hooks) for the final signature.
      this.audit = await DaemonAudit.open({
        config: this.config,
        dirs: this.dirs,
        clock: this.clock,
        logger: this.logger,
        redact: (text) => this.secrets.redact(text),
      });

      this.recoveredFromCrash = existsSync(this.runningMarker);
      if (this.recoveredFromCrash)
        this.logger.warn({ marker: this.runningMarker }, 'previous sylkd did not shut down cleanly; recovering');
      writeFileSync(this.runningMarker, String(process.pid), { mode: 0o600 });

      // Before anything opens a database: a damaged one is replaced by its newest good backup
      // (system.db now, each session log before it first opens).
      this.storage = new StorageGuard({
        dirs: this.dirs,
        config: this.config,
        clock: this.clock,
        logger: this.logger.child({ component: 'storage' }),
      });
      const damagedAtStart = await this.storage.checkAtStart(this.options.integrityChecks);
      this.db = openSystemDatabase(this.dirs.data, {
        backupDir: join(this.dirs.backups, 'system'),
        logger: this.logger,
        clock: this.clock,
      });
      await this.config.watch();
      this.config.onChange(() => {
        this.reloadCount++;
      });
      this.metrics = new DaemonMetrics({ clock: this.clock, logger: this.logger, startedAt: this.startedAt });
      this.credentials = openCredentialStore({
        dirs: this.dirs,
        env: this.options.env,
        config: this.config,
        clock: this.clock,
        logger: this.logger,
        audit: this.audit.sink,
        secrets: this.secrets,
      });
      this.llm = new DaemonLlm({
        config: this.config,
        db: this.db.raw,
        env: this.options.env,
        credentials: this.credentials,
        defaultProfile: () => configuredProfile(this.config),
        clock: this.clock,
        logger: this.logger,
        audit: this.audit.sink,
        onUsage: this.metrics.gate.recordUsage,
      });
      this.onShutdown(() => this.llm.close());
      this.sandbox = new DaemonSandbox({
        config: this.config,
        dirs: this.dirs,
        env: this.options.env,
        homeDir: this.options.env.HOME ?? homedir(),
        logger: this.logger.child({ component: 'sandbox' }),
      });
      this.mcp = new McpHub({
        userConfig: () => this.config.current().config,
        secrets: this.secrets,
        clock: this.clock,
        logger: this.logger.child({ component: 'mcp' }),
      });
      this.resources = new DaemonResources({
        pipelines: () => this.config.current().config.pipelines,
        maxSubprocesses: this.config.current().config.tools.max_subprocesses,
        clock: this.clock,
        logger: this.logger.child({ component: 'resources' }),
      });
      this.config.onChange(() => this.resources.reconfigure(this.config.current().config.pipelines));
      this.onShutdown(() => this.resources.close());
      const tracing = await startTracing(this.options.env, {
        gate: this.llm.gate,
        costOf: (model, usage) => this.llm.costOf(model, usage),
        secrets: this.secrets,
        clock: this.clock,
        logger: this.logger,
      });
      // Before the sessions' hook (hooks run in reverse): the turns the shutdown stops are exported too.
      if (tracing !== undefined) this.onShutdown(() => tracing.close());
      this.sessions = new SessionHost({
        resources: this.resources,
        mcp: this.mcp,
        secrets: this.secrets,
        sandbox: this.sandbox,
        audit: this.audit.sink,
        db: this.db,
        dirs: this.dirs,
        config: this.config,
        llm: this.llm,
        env: this.options.env,
        homeDir: this.options.env.HOME ?? homedir(),
        clock: this.clock,
        logger: this.logger.child({ component: 'sessions' }),
        metrics: { tools: this.metrics.tools, turnEnded: this.metrics.sessions.turnEnded },
        ...(tracing !== undefined ? { tracer: tracing.tracer } : {}),
        beforeLogOpen: (path) => this.storage.beforeOpen(path),
      });
      this.onShutdown(() => this.sandbox.close());
      // Between the sandbox's and the sessions' hooks (they run in reverse): servers stop after the turns using them, before the sandbox's cgroups go.
      this.onShutdown(() => this.mcp.close());
      await this.sessions.start();
      // Registered after the gate: hooks run in reverse, so turns stop before the gate closes.
      this.onShutdown(() => this.sessions.close());
      this.storage.start(
        (sessionId, message) =>
          this.sessions.logs
            .get(sessionId)
            .append('notice', { message, code: 'storage.integrity' })
            .then(() => undefined),
        damagedAtStart,
      );
      this.onShutdown(() => this.storage.close());
      this.pressure = new DaemonPressure({
        dirs: this.dirs,
        config: this.config,
        env: this.options.env,
        clock: this.clock,
        logger: this.logger.child({ component: 'pressure' }),
        sessions: this.sessions,
        databases: () => this.storage.databases(),
      });
      this.pressure.start();
      this.pressure.attachPipelines(this.resources.scheduler);
      this.sessions.pressure = this.pressure;
      this.onShutdown(() => this.pressure.close());
      this.metrics.watch({
        llm: this.llm,
        sessions: this.sessions,
        resources: this.resources,
        dataDir: this.dirs.data,
      });
      await this.metrics.exportOtlp(this.options.env, this.secrets);
      this.onShutdown(() => this.metrics.close());
      this.web = new DaemonWeb({
        sessions: this.sessions,
        usage: (q) => this.llm.report(q),
        prometheus: () => this.metrics.prometheus(),
        top: () => topSnapshot(this),
        secrets: this.secrets,
        logger: this.logger.child({ component: 'web' }),
      });
      // Registered last, so it stops first: its event streams end before the sessions close.
      this.onShutdown(() => this.web.stop().then(() => undefined));
      await this.listen();
      this.state = DaemonState.READY;
      for (const s of HEALTH_SERVICES) this.health.setStatus(s, 'SERVING');
      this.startWebWhenEnabled();
      this.config.onChange(() => this.startWebWhenEnabled());
      this.logger.info(
        { socket: this.socketPath, version: VERSION, foreground: this.options.foreground },
        'sylkd ready',
      );
      // Once serving: the probe spawns, and a command's first run waits for it anyway.
      this.sandbox.warm();
      const collect = fullCollection();
      if (collect === undefined) {
        this.logger.warn('V8 does not expose gc(); the idle memory trim is off');
      } else {
        const trim = new IdleMemoryTrim({ collect, logger: this.logger });
        this.sessions.onUnloaded = () => trim.released();
        this.pressure.onEvicted = () => trim.released();
        this.onShutdown(() => trim.close());
      }
    } catch (err) {
      await this.cleanupAfterFailedStart();
      throw err;
    }
  }

  /** `web.enabled`: the dashboard starts with sylkd (and when the setting is turned on); `sylk web` prints its address. */
  private startWebWhenEnabled(): void {
    if (this.config.current().config.web.enabled !== true || this.stopping !== undefined) return;
    this.web.start().catch((err: unknown) => this.logger.error({ err }, 'could not start the web dashboard'));
  }

  private async listen(): Promise<void> {
    removeStaleSocket(this.socketPath);
    // Hello and Shutdown answer any protocol: a client asks who runs, and restart works across an upgrade.
    const exempt = ['Hello', 'Shutdown'].map((m) => `/${DaemonService.typeName}/${m}`);
    const server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      interceptors: [protocolGuard({ exempt })],
    });
    // Error messages answered over the socket never carry a known secret.
    const errors = { redact: (text: string) => this.secrets.redact(text) };
    addService(server, DaemonService, daemonServiceImpl(this), errors);
    addService(server, ConfigService, configServiceImpl(this), errors);
    addService(
      server,
      UsageService,
      usageServiceImpl(() => this.llm),
      errors,
    );
    addService(server, SessionService, sessionServiceImpl(this.sessions), errors);
    addService(server, ApprovalService, approvalServiceImpl(this.sessions), errors);
    addService(server, PermissionService, permissionServiceImpl(this.sessions), errors);
    addService(server, ProcessService, processServiceImpl(this.sessions), errors);
    addService(
      server,
      CredentialService,
      credentialServiceImpl({
        store: this.credentials,
        config: this.config,
        defaultProfile: () => this.llm.defaultProfile(),
        clock: this.clock,
        audit: this.audit.sink,
        onKeyChanged: (p) => this.llm.keyChanged(p),
      }),
      errors,
    );
    addService(
      server,
      AuditService,
      auditServiceImpl(() => this.audit),
      errors,
    );
    addService(server, SandboxService, sandboxServiceImpl(this.sandbox), errors);
    addService(
      server,
      McpService,
      mcpServiceImpl({
        hub: this.mcp,
        config: this.config,
        projectConfig: (root) => this.sessions.projectConfigs.peek(root).config,
        permissionsFor: (root) => this.sessions.permissionsFor(root),
        allowlistChanged: (root) => this.sessions.allowlistChanged(root),
        dirs: this.dirs,
        env: this.options.env,
        sandbox: this.sandbox,
        clock: this.clock,
        logger: this.logger.child({ component: 'mcp' }),
        audit: this.audit.sink,
      }),
      errors,
    );
    this.health.addToServer(server);
    addReflection(server);
    await this.bind(server);
    this.server = server;
  }

  /** Listen on the socket path (created 0600). */
  private async bind(server: Server): Promise<void> {
    // Create the socket 0600 from the start: no window in which another user could connect.
    const previousUmask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.bindAsync(unixTarget(this.socketPath), ServerCredentials.createInsecure(), (err) =>
          err ? reject(err) : resolve(),
        );
      });
    } catch (err) {
      throw new SylkError(`cannot listen on ${this.socketPath}: ${(err as Error).message}`, {
        code: 'daemon.listen_failed',
        tier: ErrorTier.UserFixable,
        cause: err,
      });
    } finally {
      process.umask(previousUmask);
    }
    chmodSync(this.socketPath, 0o600);
  }

  /**
   * The socket file was deleted while sylkd runs (a tmp cleaner, a user): listen on it again.
   * SIGHUP does this (and `sylk daemon start` sends it when the lock shows a live daemon).
   */
  async ensureSocket(): Promise<boolean> {
    const server = this.server;
    if (server === undefined || this.stopping !== undefined) return false;
    try {
      if (lstatSync(this.socketPath).isSocket()) return false;
    } catch {
      // gone: bind it again below
    }
    server.unbind(unixTarget(this.socketPath));
    prepareSocketDir(this.socketPath); // its directory may be gone too
    removeStaleSocket(this.socketPath);
    await this.bind(server);
    this.logger.warn({ socket: this.socketPath }, 'the socket file had been removed; listening on it again');
    return true;
  }

  reloadConfig(reason: string): { changed: boolean } {
    const { changed } = this.config.reload(reason);
    if (reason === 'SIGHUP')
      void this.ensureSocket().catch((err: unknown) => this.logger.error({ err }, 'could not recreate the socket'));
    return { changed };
  }

  /** Graceful shutdown; safe to call more than once (later calls share the first). */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= this.doShutdown(reason);
    return this.stopping;
  }

  private async doShutdown(reason: string): Promise<void> {
    this.state = DaemonState.STOPPING;
    this.logger?.info({ reason }, 'sylkd shutting down');
    for (const s of HEALTH_SERVICES) this.health.setStatus(s, 'NOT_SERVING');
    const grace = (this.config?.current().config.daemon.shutdown_grace_seconds ?? 30) * 1000;
    for (const hook of [...this.hooks].reverse()) {
      try {
        await hook(reason);
      } catch (err) {
        this.logger?.error({ err }, 'shutdown hook failed');
      }
    }
    await this.stopServer(grace);
    await this.config?.close();
    await this.audit?.close();
    this.db?.close();
    this.removeRuntimeFiles();
    this.logger?.info('sylkd stopped');
    this.log?.close();
  }

  private async stopServer(graceMs: number): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(
        () => {
          server.forceShutdown();
          resolve();
        },
        Math.min(graceMs, 5_000),
      );
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private removeRuntimeFiles(): void {
    for (const file of [this.socketPath, this.runningMarker]) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
    releaseLock(this.lockPath);
  }

  private async cleanupAfterFailedStart(): Promise<void> {
    try {
      this.server?.forceShutdown();
      await this.config?.close();
      await this.audit?.close();
      this.db?.close();
    } finally {
      try {
        unlinkSync(this.runningMarker);
      } catch {
        // never written
      }
      releaseLock(this.lockPath);
      this.log?.close();
    }
  }
}
