import { silentLogger } from '@sylk/core';
import { DEFAULT_RESTART, McpServer, type RestartPolicy } from './server.js';
import { sameSpec, unknownServer } from './spec.js';
import type { LaunchContext, McpCallResult, McpDeps, McpServerSpec, McpServerStatus, McpToolInfo } from './types.js';

export interface McpManagerOptions extends McpDeps {
  projectRoot: string;
  restart?: RestartPolicy;
}

/** A server's tools, or why it has none right now. */
export type ServerTools =
  { server: string; ok: true; tools: McpToolInfo[] } | { server: string; ok: false; error: Error };

/**
 * The MCP servers of one project. `configure` takes the current definitions (a changed one
 * stops the old process); servers start on first use, are listed and called through here,
 * stopped when idle (`sweep`), when the session that started them ends (`release`), and at
 * shutdown (`close`). A server's failure is an error for that server's calls only.
 */
export class McpManager {
  private readonly servers = new Map<string, McpServer>();
  private closed = false;

  constructor(private readonly opts: McpManagerOptions) {}

  get projectRoot(): string {
    return this.opts.projectRoot;
  }

  /** Adopt the configured servers: new ones added, changed or removed ones stopped. */
  configure(specs: readonly McpServerSpec[]): void {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const [name, server] of this.servers) {
      const spec = wanted.get(name);
      if (spec === undefined || !sameSpec(spec, server.spec) || spec.enabled !== server.spec.enabled) {
        this.servers.delete(name);
        void server.stop();
      }
    }
    for (const spec of specs) {
      if (this.servers.has(spec.name)) continue;
      this.servers.set(
        spec.name,
        new McpServer(spec, {
          projectRoot: this.opts.projectRoot,
          clock: this.opts.clock,
          logger: (this.opts.logger ?? silentLogger()).child({ component: 'mcp', server: spec.name }),
          settings: this.opts.settings,
          restart: this.opts.restart ?? DEFAULT_RESTART,
        }),
      );
    }
  }

  specs(): McpServerSpec[] {
    return [...this.servers.values()].map((s) => s.spec);
  }

  spec(name: string): McpServerSpec | undefined {
    return this.servers.get(name)?.spec;
  }

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((s) => s.status());
  }

  /** The tools of the named (enabled) servers, each listed independently: one broken server hides only its own. */
  async tools(names: readonly string[], launch: LaunchContext, signal?: AbortSignal): Promise<ServerTools[]> {
    return Promise.all(
      names.map(async (name): Promise<ServerTools> => {
        try {
          return { server: name, ok: true, tools: await this.get(name).tools(launch, signal) };
        } catch (err) {
          return { server: name, ok: false, error: err as Error };
        }
      }),
    );
  }

  async call(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    launch: LaunchContext,
    signal?: AbortSignal,
  ): Promise<McpCallResult> {
    return this.get(server).call(launch, tool, args, signal);
  }

  private get(name: string): McpServer {
    const server = this.servers.get(name);
    if (server === undefined || this.closed) throw unknownServer(name, [...this.servers.keys()]);
    return server;
  }

  /** Stop servers unused for `mcp.idle_stop_minutes`; returns their names. */
  async sweep(): Promise<string[]> {
    const idleMs = this.opts.settings().idleStopMs;
    const idle = [...this.servers.values()].filter((s) => s.idle(idleMs));
    await Promise.all(idle.map((s) => s.stop()));
    for (const s of idle)
      this.opts.logger.info({ server: s.spec.name, project: this.opts.projectRoot }, 'stopped an idle MCP server');
    return idle.map((s) => s.spec.name);
  }

  /** Stop the servers `owner` started (its sandbox and network end with it). */
  async release(owner: string): Promise<void> {
    await Promise.all([...this.servers.values()].filter((s) => s.owner === owner).map((s) => s.stop()));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
  }
}
