/**
 * MCP servers in sessions: one McpManager per project (shared by its sessions), the servers'
 * tools offered to the model as `mcp__<server>__<tool>`, each call asked through the permission
 * manager and audited. A server that only a project's `.sylk/` files define starts after the
 * user approves its exact command line or URL; stdio servers run in the session's sandbox.
 */
import type { Clock, Logger, SecretValues } from '@sylk/core';
import type { AgentEvent, AgentTool, PermissionOutcome } from '@sylk/agents';
import type { McpConfig, SylkConfig } from '@sylk/config';
import type { AuditSink } from '@sylk/security';
import {
  McpManager,
  isSecretName,
  sameLaunch,
  serversFromConfig,
  type LaunchContext,
  type McpServerStatus,
  type McpSettings,
} from '@sylk/mcp';
import type { PermissionRequest } from './permissions.js';
import type { SessionMcp } from './mcp-tools.js';

const SWEEP_MS = 30_000;

export function mcpSettings(cfg: McpConfig): McpSettings {
  const callTimeoutMs = cfg.call_timeout_seconds * 1000;
  return {
    callTimeoutMs,
    startTimeoutMs: callTimeoutMs,
    idleStopMs: cfg.idle_stop_minutes * 60_000,
    maxResultBytes: cfg.max_result_bytes,
  };
}

export interface McpHubOptions {
  /** The daemon's own config (user file and environment): a server defined the same there is the user's. */
  userConfig: () => SylkConfig;
  clock: Clock;
  logger: Logger;
  /** The daemon's known secrets: secret-looking `env` values of servers are added, so no event, result or log shows them. */
  secrets?: SecretValues;
}

export interface McpSessionInput {
  sessionId: string;
  projectRoot: string;
  /** The session's effective config, read at each turn. */
  config: () => SylkConfig;
  audit?: AuditSink;
}

/** What one turn gives the MCP hook: cancellation, the event stream, and the permission check. */
export interface McpTurn {
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  ask: (request: PermissionRequest) => Promise<PermissionOutcome>;
}

/** Every project's MCP servers in this daemon; idle servers are stopped by a periodic sweep. */
export class McpHub {
  private readonly managers = new Map<string, McpManager>();
  private readonly sweeper: NodeJS.Timeout;
  /** The config each project's manager was last configured from. */
  private readonly configs = new Map<string, SylkConfig>();

  constructor(private readonly opts: McpHubOptions) {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** The project's servers from its effective config; `origin` is user only when the user's config defines the same server. */
  specs(config: SylkConfig): ReturnType<typeof serversFromConfig> {
    const mine = this.opts.userConfig().mcp.servers;
    return serversFromConfig(config.mcp.servers, (name, entry) => {
      const own = mine[name];
      return own !== undefined && sameLaunch(own, entry) ? 'user' : 'project';
    });
  }

  /** The project's manager, configured from `config` (its effective config now). */
  manager(projectRoot: string, config: SylkConfig): McpManager {
    let m = this.managers.get(projectRoot);
    if (m === undefined) {
      m = new McpManager({
        projectRoot,
        clock: this.opts.clock,
        logger: this.opts.logger.child({ project: projectRoot }),
        settings: () => mcpSettings((this.configs.get(projectRoot) ?? config).mcp),
      });
      this.managers.set(projectRoot, m);
    }
    this.configs.set(projectRoot, config);
    const { specs } = this.specs(config);
    for (const spec of specs) {
      if (spec.transport !== 'stdio') continue;
      for (const [name, value] of Object.entries(spec.env))
        if (isSecretName(name)) this.opts.secrets?.set(`mcp:${projectRoot}:${spec.name}:${name}`, value);
    }
    m.configure(specs);
    return m;
  }

  /** Running state of a project's servers (undefined: none of its sessions used MCP yet). */
  status(projectRoot: string): McpServerStatus[] | undefined {
    return this.managers.get(projectRoot)?.status();
  }

  /** The MCP side of one session; `tools` is the runtime's per-turn hook. */
  session(input: McpSessionInput): (launch: LaunchContext) => (turn: McpTurn) => Promise<AgentTool[]> {
    return (launch) => {
      // The tool adapter (and the agent layer it uses) loads with the first turn, not with sylkd.
      let session: Promise<SessionMcp> | undefined;
      return async (turn) => {
        session ??= import('./mcp-tools.js').then((m) => new m.SessionMcp(this, input, launch, this.opts.logger));
        return (await session).tools(turn);
      };
    };
  }

  /** A session ended: the servers it started stop (their sandbox and network were its). */
  async release(sessionId: string): Promise<void> {
    await Promise.all([...this.managers.values()].map((m) => m.release(sessionId)));
  }

  private async sweep(): Promise<void> {
    for (const m of this.managers.values())
      await m.sweep().catch((err: unknown) => this.opts.logger.warn({ err }, 'MCP idle sweep failed'));
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.managers.values()].map((m) => m.close()));
  }
}
