import type { Clock, ErrorTier, Logger, Redactor, SylkError } from '@sylk/core';
import type { GateRequest, GateStream, Message, ProviderName, ToolCall, Usage } from '@sylk/llm';
import type { FileSystemManager, ParserRegistry, StreamName, ToolExecutor } from '@sylk/tools';
import type { AgentTool } from './tools/tool.js';

/** What a mutating or executing tool asks before it acts. */
export interface ToolPermissionRequest {
  sessionId: string;
  agentId: string;
  callId: string;
  tool: string;
  /** `command`: run a process; `write`: create or change a file. */
  action: 'command' | 'write';
  /** The exact command line, or the resolved absolute path. */
  target: string;
  /** Working directory of a command (absolute). */
  cwd?: string;
  /** Diff preview of a file change (unified-ish). */
  preview?: string;
}

export type PermissionOutcome = { allowed: true } | { allowed: false; message: string };

export type PermissionFn = (request: ToolPermissionRequest) => Promise<PermissionOutcome>;

/** The events of a turn; the daemon persists them as session events. */
export type AgentEvent =
  | { type: 'assistant_delta'; text: string }
  | { type: 'thinking_delta'; text: string }
  | { type: 'assistant_message'; text: string; toolCalls: ToolCall[]; partial?: boolean }
  | { type: 'tool_started'; callId: string; name: string; args: Record<string, unknown>; summary: string }
  | { type: 'tool_output'; callId: string; stream: StreamName; line: string }
  | {
      type: 'tool_finished';
      callId: string;
      name: string;
      ok: boolean;
      durationMs: number;
      summary: string;
      outputHandle?: string;
      isError: boolean;
    }
  | { type: 'usage'; usage: Usage; costUsd?: number }
  | { type: 'notice'; message: string }
  | { type: 'error'; code: string; message: string; tier: ErrorTier }
  | { type: 'turn_interrupted'; reason: string };

/** The slice of the LLM gate the loop uses (`LLMGate` satisfies it). */
export interface AgentGate {
  stream(req: GateRequest, signal?: AbortSignal): GateStream;
}

export interface TurnContext {
  sessionId: string;
  agentId: string;
  agentType?: string;
  projectRoot: string;
  provider: ProviderName;
  model: string;
  /** The conversation so far; the turn appends to it in place. */
  history: Message[];
  gate: AgentGate;
  executor: ToolExecutor;
  fs: FileSystemManager;
  permissions: PermissionFn;
  emit: (event: AgentEvent) => void;
  clock: Clock;
  logger: Logger;
  /** Model round-trips per user turn (default 50). */
  maxTurns?: number;
  maxTokens?: number;
  systemPromptExtra?: string;
  /** The tools offered to the model (default: `defaultTools()`). */
  tools?: readonly AgentTool[];
  /** Output parsers for run_command (default: the built-in registry). */
  parsers?: ParserRegistry;
  /** USD cost of one response, for `usage` events (e.g. the catalogue's `costUsd`). */
  costOf?: (model: string, usage: Usage) => number | undefined;
  /** Host platform shown in the system prompt (default `process.platform`). */
  platform?: string;
  /**
   * Known-secret redaction (the daemon's SecretValues): applied to the model's replies as kept in
   * history and events, and to tool results before the model or any event sees them.
   */
  redact?: Redactor;
}

export type TurnStopReason = 'end_turn' | 'max_turns' | 'cancelled' | 'budget' | 'error';

export interface TurnResult {
  stopReason: TurnStopReason;
  usage: Usage;
  /** How many messages the turn appended to `history`. */
  messagesAdded: number;
  /** Set when stopReason is `error` or `budget`. */
  error?: SylkError;
}
