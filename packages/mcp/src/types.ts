import type { Clock, Logger } from '@sylk/core';

/** Where a server's definition came from: the user's own config, or a project's `.sylk/` files. */
export type McpOrigin = 'user' | 'project';

interface SpecBase {
  /** The config key: letters, digits and single `-`/`_` between them. */
  name: string;
  origin: McpOrigin;
  enabled: boolean;
}

/** A server Sylk starts itself and talks to over stdin/stdout. */
interface StdioServerSpec extends SpecBase {
  transport: 'stdio';
  command: string;
  args: readonly string[];
  /** Added to the session's tool environment. */
  env: Readonly<Record<string, string>>;
}

/** A remote server reached over streamable HTTP. */
interface HttpServerSpec extends SpecBase {
  transport: 'http';
  url: string;
}

export type McpServerSpec = StdioServerSpec | HttpServerSpec;

/** The command a stdio server would be started with, before the sandbox wraps it. */
interface McpCommandInput {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  background: boolean;
}

/**
 * Turns a server's command into the one actually spawned (the session's OS sandbox). Same shape
 * as `CommandWrapper` in @sylk/tools, so a session's sandbox is passed as is.
 */
interface McpCommandWrapper {
  wrap(input: McpCommandInput): WrappedMcpCommand | Promise<WrappedMcpCommand>;
}

interface WrappedMcpCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Called once after the process has ended (e.g. remove a per-command cgroup). */
  release?: () => void;
}

/** Who starts a server and how: its sandbox and base environment. Servers it started stop with `release(owner)`. */
export interface LaunchContext {
  owner: string;
  /** The session's tool environment, secret blocklist already applied. */
  env: Readonly<Record<string, string>>;
  wrapper?: McpCommandWrapper;
}

/** One tool a server offers. */
export interface McpToolInfo {
  server: string;
  name: string;
  description: string;
  /** JSON Schema of the arguments, as the server declared it. */
  inputSchema: Record<string, unknown>;
  /** The server's `readOnlyHint` annotation: shown to the user, never trusted. */
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
}

export interface McpCallResult {
  /** Text for the model (truncated to the result cap). */
  text: string;
  /** The server reported the call failed (`isError`). */
  isError: boolean;
  truncated: boolean;
  /** Size of the full text before truncation. */
  bytes: number;
}

export type McpServerState = 'stopped' | 'starting' | 'running' | 'crashed' | 'failed';

export interface McpServerStatus {
  name: string;
  transport: 'stdio' | 'http';
  state: McpServerState;
  tools: string[];
  /** Why it is crashed or failed, with the stderr tail. */
  lastError?: string;
  restarts: number;
  pid?: number;
}

/** Daemon-wide knobs (config `mcp.*`), read at each use. */
export interface McpSettings {
  callTimeoutMs: number;
  /** Start-up and handshake of a server. */
  startTimeoutMs: number;
  /** 0 = never stop idle servers. */
  idleStopMs: number;
  maxResultBytes: number;
}

export interface McpDeps {
  clock: Clock;
  logger: Logger;
  settings: () => McpSettings;
}
