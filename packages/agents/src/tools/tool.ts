import type { JsonSchema } from '@sylk/llm';
import type { Clock } from '@sylk/core';
import type { FileSystemManager, ParserRegistry, ToolExecutor } from '@sylk/tools';
import type { AgentEvent, CommandExit, EndedProcess, PermissionOutcome, ToolPermissionRequest } from '../types.js';
import type { DiffStat } from './unified-diff.js';

/** A file a call changed, for the `tool_finished` event (not the model). */
export interface FileChange {
  /** Unified diff (LOG_CAPS). */
  diff: string;
  stat: DiffStat;
}

/** What a tool call produces: the text the model reads plus what the session event shows. */
export interface ToolOutcome {
  /** The tool result message content. */
  content: string;
  /** The model should read the result as a failed call. */
  isError: boolean;
  /** The call did what it was asked (a command exited 0). Defaults to `!isError`. */
  ok?: boolean;
  /** One line for `tool_finished` (e.g. "3 errors, 1 warning in 240 lines"). */
  summary: string;
  /** Raw output file for full retrieval. */
  outputHandle?: string;
  /** The file the call wrote: `tool_finished` carries its diff. */
  fileChange?: FileChange;
  /** A test run's first failed tests, one line each, as its parser read them (the view shows these, not the output). */
  failures?: string[];
  /** The command the call ran, how it ended (`tool_finished` carries it; traces record the exit code). */
  exit?: CommandExit;
}

/** Everything a tool may use; one per call. */
export interface ToolEnv {
  callId: string;
  sessionId: string;
  agentId: string;
  projectRoot: string;
  fs: FileSystemManager;
  executor: ToolExecutor;
  parsers: ParserRegistry;
  clock: Clock;
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  /** The session's background processes kept from before its runtime was last loaded. */
  endedProcess?: (id: string) => EndedProcess | undefined;
  /** Asks the injected permission function; settles as denied if the turn is cancelled meanwhile. */
  askPermission: (
    request: Omit<ToolPermissionRequest, 'sessionId' | 'agentId' | 'callId' | 'tool'>,
  ) => Promise<PermissionOutcome>;
}

export interface AgentTool {
  name: string;
  description: string;
  /** JSON Schema of the arguments; ajv validates every call against it first. */
  parameters: JsonSchema;
  /** Read-only tools may run concurrently with each other; others run alone, in order. */
  readOnly: boolean;
  /** Short description of a call for `tool_started` (the command, the path). */
  describe(args: Record<string, unknown>): string;
  /** Runs with arguments already validated against `parameters`. */
  run(args: Record<string, unknown>, env: ToolEnv): Promise<ToolOutcome>;
}

/**
 * Declares a tool with typed arguments. The cast is sound because the dispatcher validates the
 * arguments against `parameters` (which must describe `A`) before `run` is called.
 */
export function defineTool<A>(
  spec: Omit<AgentTool, 'run' | 'describe'> & {
    describe(args: A): string;
    run(args: A, env: ToolEnv): Promise<ToolOutcome>;
  },
): AgentTool {
  return spec as unknown as AgentTool;
}

/** A tool result the model reads as an error. */
export function toolError(message: string, summary = message): ToolOutcome {
  return { content: message, isError: true, summary: summary.split('\n')[0] ?? '' };
}

export function denied(message: string): ToolOutcome {
  return toolError(`Permission denied: ${message}`);
}
