import { ErrorTier, SylkError } from '@sylk/core';

/**
 * The normalized LLM model every adapter maps to and from.
 * Agents and the gate only ever see these types, never a provider's wire format.
 */

export type ProviderName = 'anthropic' | 'openai' | 'google' | 'openai-compatible';

/** JSON Schema object describing a tool's parameters. */
export type JsonSchema = Record<string, unknown>;

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Arguments as parsed JSON; `argumentsText` keeps the raw text when it was not valid JSON. */
  arguments: Record<string, unknown>;
  argumentsText?: string;
}

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/**
 * A reasoning block as the provider sent it. Anthropic needs the blocks of an assistant turn back
 * unchanged (the signature covers the text) when that turn's tool results are sent; other
 * providers ignore them.
 */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  /** Reasoning the provider's safety systems encrypted: only `data`, passed back as is. */
  | { type: 'redacted_thinking'; data: string };

export interface Message {
  role: Role;
  content: string;
  /** Assistant messages: the tool calls the model made in that turn. */
  toolCalls?: ToolCall[];
  /** Tool messages: which call this result answers. */
  toolCallId?: string;
  /** Tool messages: the result is an error the model should see as such. */
  isError?: boolean;
  /** Set on a message the context manager produced by summarizing older ones. */
  summaryOf?: number;
  /** Assistant messages: the reply's signed thinking blocks, in order (see {@link ThinkingBlock}). */
  thinking?: ThinkingBlock[];
}

export type ReasoningEffort = 'low' | 'medium' | 'high' | 'xhigh';

export interface LLMRequest {
  model: string;
  messages: Message[];
  systemPrompt?: string;
  tools?: ToolDefinition[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  reasoningEffort?: ReasoningEffort;
  /**
   * Extended thinking with this token budget (config `thinking_budget_tokens`). Anthropic: a
   * budget of at least 1024, below `maxTokens`; OpenAI reasoning models: an effort level from it;
   * Gemini: its thinking budget.
   */
  thinking?: { budgetTokens: number };
  /** OpenAI: which API to use for this request (default responses). */
  openaiApi?: 'responses' | 'chat';
  /** Provider-specific passthrough (e.g. Google safety settings). */
  providerOptions?: Record<string, unknown>;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'error';

export interface LLMResponse {
  content: string;
  thinking?: string;
  /** The signed thinking blocks (Anthropic), to keep on the assistant message in history. */
  thinkingBlocks?: ThinkingBlock[];
  model: string;
  stopReason: StopReason;
  usage: Usage;
  toolCalls: ToolCall[];
  providerMetadata?: Record<string, unknown>;
  /** True when the stream ended early (timeout, cancel, budget stop, preemption). */
  partial?: boolean;
  partialReason?: string;
}

/** One normalized streaming event. */
export type StreamChunk =
  | { type: 'start'; model: string; id?: string }
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string }
  /** The signature that closes the current thinking block (Anthropic `signature_delta`). */
  | { type: 'thinking_signature'; signature: string }
  /** A whole encrypted reasoning block (Anthropic `redacted_thinking`). */
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_start'; index: number; id: string; name: string }
  | { type: 'tool_delta'; index: number; argumentsDelta: string }
  | { type: 'tool_end'; index: number }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'stop'; stopReason: StopReason }
  /**
   * The provider is alive but sent nothing to hand on (an Anthropic `ping`, an SSE comment, an
   * event that maps to no chunk): the gate's stall watchdog counts it, nothing else sees it.
   */
  | { type: 'keepalive' }
  | { type: 'error'; error: Error };

export interface ModelInfo {
  id: string;
  provider: ProviderName;
  contextWindow: number;
  maxOutputTokens: number;
  /** USD per million tokens. */
  inputPrice: number;
  outputPrice: number;
  cacheReadPrice?: number;
  cacheWritePrice?: number;
}

export interface HealthResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** What every provider adapter implements. */
export interface ProviderAdapter {
  readonly name: ProviderName;
  /** Blocking call; implemented on top of stream() where the provider has no cheaper path. */
  generate(request: LLMRequest, signal?: AbortSignal): Promise<LLMResponse>;
  stream(request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk>;
  countTokens(request: Pick<LLMRequest, 'messages' | 'tools' | 'systemPrompt' | 'model'>): number;
  healthCheck(signal?: AbortSignal): Promise<HealthResult>;
  close(): Promise<void>;
}

export interface ProviderErrorInfo {
  provider: ProviderName;
  /** HTTP status when there was one; absent for network faults and in-stream errors. */
  status?: number;
  /** The provider's own error type/code, e.g. `overloaded_error`, `insufficient_quota`. */
  errorType?: string;
  /** From `retry-after` / `retry-after-ms` or the provider's rate-limit headers. */
  retryAfterMs?: number;
  /** True when the error arrived inside a stream after a 200. */
  inStream: boolean;
  /** Rate-limit headers seen on the response, normalized (remaining/limit/reset). */
  rateLimit?: { requestsRemaining?: number; tokensRemaining?: number; resetMs?: number };
}

/**
 * An error from a provider call. Adapters set a provisional tier from the status;
 * the gate's classifier decides the final tier (status, error type, configured patterns).
 */
export class ProviderError extends SylkError {
  readonly info: ProviderErrorInfo;
  constructor(
    message: string,
    info: ProviderErrorInfo,
    options: { tier?: ErrorTier; code?: string; cause?: unknown; hint?: string } = {},
  ) {
    super(message, {
      tier: options.tier ?? ErrorTier.Permanent,
      code: options.code ?? 'llm.provider_error',
      cause: options.cause,
      ...(options.hint !== undefined ? { hint: options.hint } : {}),
      details: { ...info },
    });
    this.name = 'ProviderError';
    this.info = info;
  }
}
