import type { Clock, ErrorTier, Logger, Redactor, SylkError } from '@sylk/core';
import type { GateRequest, GateStream, Message, ProviderName, ToolCall, Usage } from '@sylk/llm';
import type { FileSystemManager, ParserRegistry, StreamName, ToolExecutor } from '@sylk/tools';
import type { AgentTool } from './tools/tool.js';
import type { CompactionSettings } from './compaction.js';
import type { EstimateTokens } from './context-tokens.js';
import type { StreamLimitsSeconds } from './ended-early.js';
import type { InstructionDirs } from './instructions.js';
import type { DiffStat } from './tools/unified-diff.js';

/** What a mutating or executing tool asks before it acts. */
export interface ToolPermissionRequest {
  sessionId: string;
  agentId: string;
  callId: string;
  tool: string;
  /** `command`: run a process; `write`: create or change a file; `mcp`: call an MCP server's tool. */
  action: 'command' | 'write' | 'mcp';
  /** The exact command line, the resolved absolute path, or `<server>/<tool>`. */
  target: string;
  /** Working directory of a command (absolute). */
  cwd?: string;
  /** Diff preview of a file change (unified-ish), or an MCP call's arguments and the server's hints. */
  preview?: string;
}

/** A denial's message is the tool result; an allow's note (the user's words) is appended to it. */
export type PermissionOutcome = { allowed: true; note?: string } | { allowed: false; message: string };

export type PermissionFn = (request: ToolPermissionRequest) => Promise<PermissionOutcome>;

/** How a command a tool ran ended: its exit code (null when a signal ended it), the signal, a timeout. */
export interface CommandExit {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

/**
 * A background process of the session that ended before its runtime was last loaded: the
 * executor's registry no longer holds it, the session kept it on disk (process_output still reads it).
 */
export interface EndedProcess {
  id: string;
  command: string;
  /** Stopped by a request (stop_process, `sylk ps stop`) rather than ending on its own. */
  stopped: boolean;
  exitCode: number | null;
  signal: string | null;
  read(sinceOffset: number): Promise<{ text: string; nextOffset: number; truncated: boolean }>;
}

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
      /** write_file / edit_file: the unified diff of what was written, and its counts. */
      diff?: string;
      diffStat?: DiffStat;
      /** A failed test run: its first failed tests (see ToolOutcome.failures). */
      failures?: string[];
      /** Time the call waited for the user's approval, not counted in durationMs. */
      approvalWaitMs?: number;
      /** How the command the call ran ended (run_command; a background command that ended at once). */
      exit?: CommandExit;
    }
  | { type: 'usage'; usage: Usage; costUsd?: number }
  /**
   * `code` names what kind of notice (`llm.retrying`: a failed request is retried after `delayMs`;
   * `llm.rate_limit_wait`: the request waits `delayMs` for the configured rate limit).
   */
  | { type: 'notice'; message: string; code?: string; delayMs?: number }
  | { type: 'error'; code: string; message: string; tier: ErrorTier; hint?: string; attempts?: number }
  | { type: 'turn_interrupted'; reason: string }
  /** Older messages were replaced by a summary; tokens are the conversation's (estimated). */
  | {
      type: 'compacted';
      tokensBefore: number;
      tokensAfter: number;
      messagesSummarized: number;
      model: string;
      manual: boolean;
      contextWindow: number;
    };

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
  /** Output tokens per reply (the model's limit, or `sessions.max_output_tokens`); absent: the adapter's default. */
  maxTokens?: number;
  /** The model's context window in tokens; absent: the history is never checked or compacted. */
  contextWindow?: number;
  /** When and how the history is summarised as it nears the window (config `sessions.compaction`). */
  compaction?: CompactionSettings;
  /** Estimated input tokens of a request (the gate's estimator; default ~4 characters a token). */
  estimateTokens?: EstimateTokens;
  /** Extended thinking for each request (the model's `thinking_budget_tokens`); absent: off. */
  thinking?: { budgetTokens: number };
  /** The gate's stream limits, so a reply cut by one is marked with how long was waited. */
  streamLimits?: StreamLimitsSeconds;
  systemPromptExtra?: string;
  /** Gate priority of its requests (default user-interactive); a delegated task's is lower and preemptible. */
  priority?: number;
  /** The delegated task (pipeline) this agent runs, if any: its requests are pipeline work, not the user's. */
  pipelineId?: string;
  /** The tools offered to the model (default: `defaultTools()`). */
  tools?: readonly AgentTool[];
  /** This session's background processes kept from before its runtime was last loaded. */
  endedProcess?: (id: string) => EndedProcess | undefined;
  /** Output parsers for run_command (default: the built-in registry). */
  parsers?: ParserRegistry;
  /** USD cost of one response, for `usage` events (e.g. the catalogue's `costUsd`). */
  costOf?: (model: string, usage: Usage) => number | undefined;
  /**
   * Where instructions are looked for beyond the project: `{user}/AGENTS.md` and the parent
   * directories up to `home`. Absent: only the project's own AGENTS.md files.
   */
  instructionDirs?: InstructionDirs;
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
