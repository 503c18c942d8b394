import { ErrorTier, SylkError, errorMessage } from '@sylk/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { InvalidMessageError } from './invalid-message.js';
import type { SylkStdioTransport } from './stdio-transport.js';
import { launchLine } from './spec.js';
import type { LaunchContext, McpServerSpec, McpToolInfo } from './types.js';

/** SDK error codes (types.ts ErrorCode), kept here so the SDK loads only when a server starts. */
const CONNECTION_CLOSED = -32000;
const REQUEST_TIMEOUT = -32001;

export function mcpError(
  server: string,
  message: string,
  code: string,
  hint: string,
  tier: ErrorTier = ErrorTier.Transient,
): SylkError {
  return new SylkError(`MCP server "${server}" ${message}`, { code, tier, hint, details: { server } });
}

/**
 * One live connection to one server: the SDK client over Sylk's stdio transport (or the SDK's
 * streamable-HTTP one). Every failure becomes a SylkError naming the server; a line of invalid
 * JSON-RPC fails the calls in flight and closes the connection.
 */
export class McpConnection {
  private closedFlag = false;
  private readonly inflight = new Set<AbortController>();
  /** Why the connection ended, once it has. */
  failure: SylkError | undefined;

  private constructor(
    readonly spec: McpServerSpec,
    private readonly client: Client,
    private readonly transport: Transport,
    /** The stdio transport (exit status, stderr), absent for HTTP. */
    private readonly stdio: SylkStdioTransport | undefined,
    private readonly onEnd: (conn: McpConnection) => void,
  ) {}

  get pid(): number | undefined {
    return this.stdio?.pid;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Starts (stdio) or connects (HTTP) and runs the MCP handshake within `timeoutMs`. */
  static async open(
    spec: McpServerSpec,
    launch: LaunchContext,
    cwd: string,
    timeoutMs: number,
    onEnd: (conn: McpConnection) => void,
  ): Promise<McpConnection> {
    const [{ Client }, { transport, stdio }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      transportFor(spec, launch, cwd),
    ]);
    const client = new Client({ name: 'sylk', version: '1' }, { capabilities: {} });
    const conn = new McpConnection(spec, client, transport, stdio, onEnd);
    client.onerror = (err) => conn.protocolError(err);
    client.onclose = () => conn.ended();
    try {
      await client.connect(transport, { timeout: timeoutMs });
    } catch (err) {
      await conn.close();
      throw conn.explain(err, 'could not be started', timeoutMs);
    }
    return conn;
  }

  async listTools(timeoutMs: number): Promise<McpToolInfo[]> {
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(
        (signal) => this.client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs, signal }),
        'did not list its tools',
        timeoutMs,
      );
      for (const t of page.tools) {
        tools.push({
          server: this.spec.name,
          name: t.name,
          description: t.description ?? '',
          inputSchema: t.inputSchema as Record<string, unknown>,
          ...(typeof t.annotations?.readOnlyHint === 'boolean' ? { readOnlyHint: t.annotations.readOnlyHint } : {}),
          ...(typeof t.annotations?.destructiveHint === 'boolean'
            ? { destructiveHint: t.annotations.destructiveHint }
            : {}),
        });
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined && tools.length < 10_000);
    return tools;
  }

  callTool(
    name: string,
    args: Record<string, unknown>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    return this.request(
      (inner) =>
        this.client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs, signal: inner }) as Promise<
          Record<string, unknown>
        >,
      `failed running ${name}`,
      timeoutMs,
      signal,
    );
  }

  /** One request, failed early when the server breaks the protocol or the caller cancels. */
  private async request<T>(
    run: (signal: AbortSignal) => Promise<T>,
    what: string,
    timeoutMs: number,
    outer?: AbortSignal,
  ): Promise<T> {
    if (this.closedFlag)
      throw (
        this.failure ??
        mcpError(this.spec.name, 'is not running', 'mcp.not_running', 'Try again; Sylk starts it on the next call.')
      );
    if (outer?.aborted) throw new SylkError('cancelled', { code: 'cancelled', tier: ErrorTier.Permanent });
    const ac = new AbortController();
    const relay = () => ac.abort(outer?.reason);
    outer?.addEventListener('abort', relay, { once: true });
    this.inflight.add(ac);
    try {
      return await run(ac.signal);
    } catch (err) {
      if (outer?.aborted)
        throw new SylkError('cancelled', { code: 'cancelled', tier: ErrorTier.Permanent, cause: err });
      // The SDK reports an abort as a timeout: the recorded failure (invalid JSON-RPC, exit) is the truth.
      if (this.failure !== undefined) throw this.failure;
      throw this.explain(err, what, timeoutMs);
    } finally {
      this.inflight.delete(ac);
      outer?.removeEventListener('abort', relay);
    }
  }

  private protocolError(err: Error): void {
    if (!(err instanceof InvalidMessageError) || this.closedFlag) return;
    this.failure = mcpError(
      this.spec.name,
      err.message,
      'mcp.protocol_error',
      'The server is broken: fix or update it (`sylk mcp test <name>` shows its errors), or disable it with enabled: false.',
    );
    for (const ac of this.inflight) ac.abort(this.failure);
    void this.close();
  }

  private ended(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.failure === undefined) {
      const exit = this.stdio?.exit;
      this.failure = mcpError(
        this.spec.name,
        `${this.spec.transport === 'stdio' ? 'exited' : 'closed the connection'}${exit ? ` (${exit})` : ''}${this.stderrNote()}`,
        'mcp.server_exited',
        'Sylk restarts it on the next call (with a growing delay after repeated crashes); `sylk mcp test <name>` shows why it stops.',
      );
    }
    this.onEnd(this);
  }

  private stderrNote(): string {
    const tail = this.stdio?.stderrTail() ?? '';
    return tail === '' ? '' : `; its stderr ends with:\n${tail}`;
  }

  /** A SylkError that says what happened to this server, in one message. */
  explain(err: unknown, what: string, timeoutMs: number): SylkError {
    if (err instanceof SylkError) return err;
    const message = errorMessage(err).replace(/^MCP error -?\d+: /, '');
    const errno = (err as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'EACCES') {
      return mcpError(
        this.spec.name,
        `could not run \`${launchLine(this.spec)}\`: ${message}`,
        'mcp.spawn_failed',
        'Check the command in your config (`sylk mcp list`); it must be installed and on PATH.',
        ErrorTier.UserFixable,
      );
    }
    const code = (err as { code?: unknown }).code;
    if (code === REQUEST_TIMEOUT) {
      return mcpError(
        this.spec.name,
        `${what}: no answer within ${Math.round(timeoutMs / 1000)} s`,
        'mcp.timeout',
        'The server hangs or the work takes longer: raise mcp.call_timeout_seconds, or fix the server.',
      );
    }
    if (code === CONNECTION_CLOSED || this.closedFlag) {
      // The exit is recorded when the process closes; give its reason when it is known.
      return (
        this.failure ??
        mcpError(
          this.spec.name,
          `${what}: the connection closed${this.stderrNote()}`,
          'mcp.server_exited',
          'Run `sylk mcp test <name>` to see why it stops.',
        )
      );
    }
    return mcpError(
      this.spec.name,
      `${what}: ${message}${this.stderrNote()}`,
      'mcp.call_failed',
      "See the message above; `sylk mcp test <name>` shows the server's tools and errors.",
    );
  }

  async close(): Promise<void> {
    const wasOpen = !this.closedFlag;
    try {
      await this.client.close();
    } catch {
      // closing a broken connection: nothing more to do
    }
    await this.transport.close().catch(() => undefined);
    if (wasOpen && !this.closedFlag) this.ended();
  }
}

/** The SDK loads with the first server a daemon starts, not with the daemon. */
async function transportFor(
  spec: McpServerSpec,
  launch: LaunchContext,
  cwd: string,
): Promise<{ transport: Transport; stdio?: SylkStdioTransport }> {
  if (spec.transport === 'http') {
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    return { transport: new StreamableHTTPClientTransport(new URL(spec.url)) };
  }
  const { SylkStdioTransport } = await import('./stdio-transport.js');
  const env = { ...launch.env, ...spec.env };
  const wrapped =
    launch.wrapper === undefined
      ? { file: spec.command, args: [...spec.args], env }
      : await launch.wrapper.wrap({ file: spec.command, args: spec.args, cwd, env, background: true });
  const stdio = new SylkStdioTransport({
    file: wrapped.file,
    args: wrapped.args,
    env: wrapped.env,
    cwd,
    ...(wrapped.release ? { release: wrapped.release } : {}),
  });
  return { transport: stdio, stdio };
}
