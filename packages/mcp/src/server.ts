import { ErrorTier, sleep, type Clock, type Logger } from '@sylk/core';
import { McpConnection, mcpError } from './connection.js';
import { resultText } from './result.js';
import type {
  LaunchContext,
  McpCallResult,
  McpServerSpec,
  McpServerState,
  McpServerStatus,
  McpSettings,
  McpToolInfo,
} from './types.js';

/** Restart delays after consecutive crashes: initial, doubling, capped; past `maxFailures` the server stays failed. */
export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  maxFailures: number;
}

export const DEFAULT_RESTART: RestartPolicy = { initialMs: 1000, maxMs: 60_000, maxFailures: 5 };

export interface ServerDeps {
  projectRoot: string;
  clock: Clock;
  logger: Logger;
  settings: () => McpSettings;
  restart: RestartPolicy;
}

/**
 * One configured server of a project: started on first use, its tool list cached (listing
 * does not restart an idle-stopped server), restarted after a crash once its backoff delay
 * has passed, stopped when idle or when the session that started it ends.
 */
export class McpServer {
  private conn: McpConnection | undefined;
  private starting: Promise<McpConnection> | undefined;
  private cachedTools: McpToolInfo[] | undefined;
  private state: McpServerState = 'stopped';
  private failures = 0;
  private restarts = 0;
  private retryAt = 0;
  private lastError: string | undefined;
  private lastUsed = 0;
  private busy = 0;
  /** The launch context that started the running process. */
  owner: string | undefined;

  constructor(
    readonly spec: McpServerSpec,
    private readonly deps: ServerDeps,
  ) {}

  status(): McpServerStatus {
    return {
      name: this.spec.name,
      transport: this.spec.transport,
      state: this.state,
      tools: (this.cachedTools ?? []).map((t) => t.name),
      restarts: this.restarts,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.conn?.pid !== undefined ? { pid: this.conn.pid } : {}),
    };
  }

  /** The server's tools: the cached list, else start it and ask. */
  async tools(launch: LaunchContext, signal?: AbortSignal): Promise<McpToolInfo[]> {
    if (this.cachedTools !== undefined) return this.cachedTools;
    const conn = await this.connection(launch, signal);
    this.cachedTools = await conn.listTools(this.deps.settings().callTimeoutMs);
    return this.cachedTools;
  }

  async call(
    launch: LaunchContext,
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<McpCallResult> {
    const settings = this.deps.settings();
    const conn = await this.connection(launch, signal);
    this.lastUsed = this.deps.clock.monotonic();
    this.busy++;
    try {
      const raw = await conn.callTool(tool, args, settings.callTimeoutMs, signal);
      this.failures = 0;
      return resultText(raw, settings.maxResultBytes);
    } finally {
      this.busy--;
      this.lastUsed = this.deps.clock.monotonic();
    }
  }

  /** A running connection, started (or restarted after its backoff) when there is none. */
  private async connection(launch: LaunchContext, signal?: AbortSignal): Promise<McpConnection> {
    if (this.conn !== undefined && !this.conn.closed) return this.conn;
    if (this.starting !== undefined) return this.starting;
    if (this.state === 'failed') {
      throw mcpError(
        this.spec.name,
        `stopped after ${this.failures} crashes in a row: ${this.lastError ?? ''}`,
        'mcp.server_failed',
        'Fix the server (`sylk mcp test <name>` shows its errors); a changed config entry for it, or a sylkd restart, starts it afresh.',
        ErrorTier.UserFixable,
      );
    }
    const wait = this.retryAt - this.deps.clock.monotonic();
    if (wait > 0) await sleep(wait, signal);
    this.starting = this.start(launch).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(launch: LaunchContext): Promise<McpConnection> {
    const wasCrashed = this.state === 'crashed';
    this.state = 'starting';
    const timeout = this.deps.settings().startTimeoutMs;
    try {
      const conn = await McpConnection.open(this.spec, launch, this.deps.projectRoot, timeout, (c) => this.ended(c));
      this.conn = conn;
      this.owner = launch.owner;
      this.state = 'running';
      this.lastUsed = this.deps.clock.monotonic();
      if (wasCrashed) this.restarts++;
      this.deps.logger.info({ server: this.spec.name, pid: conn.pid, owner: launch.owner }, 'MCP server started');
      return conn;
    } catch (err) {
      this.crashed(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private ended(conn: McpConnection): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.owner = undefined;
    // A stop Sylk asked for leaves the state it set; anything else is a crash.
    if (this.state === 'running') this.crashed(conn.failure?.message ?? 'the connection closed');
  }

  private crashed(reason: string): void {
    this.failures++;
    this.lastError = reason;
    const policy = this.deps.restart;
    if (this.failures >= policy.maxFailures) {
      this.state = 'failed';
      this.deps.logger.warn(
        { server: this.spec.name, failures: this.failures, reason },
        'MCP server keeps failing; not restarting it',
      );
      return;
    }
    this.state = 'crashed';
    const delay = Math.min(policy.maxMs, policy.initialMs * 2 ** (this.failures - 1));
    this.retryAt = this.deps.clock.monotonic() + delay;
    this.deps.logger.warn(
      { server: this.spec.name, failures: this.failures, retryInMs: delay, reason },
      'MCP server stopped unexpectedly',
    );
  }

  /** Idle for longer than `idleMs` (and not in a call). */
  idle(idleMs: number): boolean {
    return (
      this.state === 'running' && this.busy === 0 && idleMs > 0 && this.deps.clock.monotonic() - this.lastUsed >= idleMs
    );
  }

  /** Stop the process (kept tool list and failure count stay); the next use starts it again. */
  async stop(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.owner = undefined;
    if (this.state === 'running' || this.state === 'starting') this.state = 'stopped';
    await conn?.close();
  }
}
