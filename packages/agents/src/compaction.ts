import { ErrorTier, SylkError, isSylkError } from '@sylk/core';
import { ProviderError, type LLMResponse, type ToolDefinition } from '@sylk/llm';
import { GateErrorCode, fitContext } from '@sylk/llm/gate';
import { TokenCounter, roughTokens, tokenCounter } from './context-tokens.js';
import { AgentErrorCode } from './errors.js';
import { summarizeMessages } from './summarize.js';
import type { TurnContext } from './types.js';

/** Config `sessions.compaction` as the loop takes it. */
export interface CompactionSettings {
  /** Compact automatically before a request that would pass the threshold. */
  enabled: boolean;
  /** Fraction of the context window (input plus the output reserve) that triggers compaction. */
  threshold: number;
  /** The latest messages kept verbatim (whole tool-call units). */
  keepRecentMessages: number;
  /** The model of the same provider that writes the summary; absent: the session's. */
  model?: string;
  /** That model's context window; absent: the session's. */
  modelContextWindow?: number;
}

/** What a compaction did: the `compacted` event's data. Tokens are the conversation's. */
export interface CompactionStats {
  tokensBefore: number;
  tokensAfter: number;
  messagesSummarized: number;
  /** The model that wrote the summary. */
  model: string;
  manual: boolean;
  contextWindow: number;
}

/** What compaction needs of a turn's context (the daemon builds it for a manual compaction too). */
export type CompactionContext = Pick<
  TurnContext,
  | 'sessionId'
  | 'agentId'
  | 'agentType'
  | 'provider'
  | 'model'
  | 'history'
  | 'gate'
  | 'emit'
  | 'logger'
  | 'maxTokens'
  | 'contextWindow'
  | 'compaction'
  | 'estimateTokens'
  | 'redact'
  | 'costOf'
>;

export interface CompactOptions {
  signal: AbortSignal;
  manual: boolean;
  /** The turn's system prompt and tools, counted against the window (absent: a manual compaction). */
  systemPrompt?: string;
  tools?: readonly ToolDefinition[];
  /** Each summariser response (the turn adds its usage; default: a `usage` event). */
  onResponse?: (response: LLMResponse) => void;
  /** Fit into this share of the window (after the provider found a request too long). */
  windowShare?: number;
}

const DEFAULT_THRESHOLD = 0.85;
const DEFAULT_KEEP_RECENT = 8;

/** Output tokens kept free in the window: the reply's limit, at most a quarter of the window. */
function outputReserve(maxTokens: number | undefined, window: number): number {
  return Math.min(maxTokens ?? 0, Math.floor(window / 4));
}

/**
 * Replaces the older part of `ctx.history` (in place) by a summary the model writes, keeping the
 * latest `keepRecentMessages` verbatim as far as they fit half of what the threshold leaves the
 * conversation (never a tool call without its results), and emits `compacted`. Undefined when
 * there was nothing to summarise. Rejects with `agents.context_overflow` when the newest message
 * alone does not fit, and with the summariser's error when it failed (the history unchanged).
 */
export async function compactHistory(
  ctx: CompactionContext,
  opts: CompactOptions,
): Promise<CompactionStats | undefined> {
  const window = Math.floor((ctx.contextWindow ?? 0) * (opts.windowShare ?? 1));
  if (window <= 0) return undefined;
  const settings = ctx.compaction;
  const counter = tokenCounter(ctx.estimateTokens);
  const reserve = outputReserve(ctx.maxTokens, window);
  const budget = Math.floor((settings?.threshold ?? DEFAULT_THRESHOLD) * window) - reserve;
  // What the conversation may use of the budget beside the system prompt and tools.
  const room = Math.max(0, budget - counter.fixed(ctx.model, opts.systemPrompt, opts.tools));
  const model = settings?.model !== undefined && settings.model !== '' ? settings.model : ctx.model;
  const before = ctx.history.slice();
  const request = {
    model: ctx.model,
    messages: before,
    ...(opts.systemPrompt !== undefined ? { systemPrompt: opts.systemPrompt } : {}),
    // The same array, not a copy: the counter knows it (fitContext only reads it).
    ...(opts.tools !== undefined ? { tools: opts.tools as ToolDefinition[] } : {}),
  };
  const onResponse = opts.onResponse ?? ((r: LLMResponse) => emitUsage(ctx, r));
  let fitted;
  try {
    fitted = await fitContext(request, {
      contextWindow: window,
      reserve,
      estimateTokens: (r) => counter.request(r),
      keep: 'newest_unit',
      keepRecentMessages: settings?.keepRecentMessages ?? DEFAULT_KEEP_RECENT,
      target: budget - room + Math.floor(room / 2),
      summaryTokens: Math.min(4096, Math.max(256, Math.floor(room / 8))),
      force: true,
      summarize: async (messages, summaryTokens) => {
        const text = await summarizeMessages(messages, summaryTokens, {
          gate: ctx.gate,
          provider: ctx.provider,
          model,
          contextWindow: settings?.modelContextWindow ?? window,
          sessionId: ctx.sessionId,
          agentId: ctx.agentId,
          ...(ctx.agentType !== undefined ? { agentType: ctx.agentType } : {}),
          // Another model's estimates would reset the conversation's cache: it gets its own counter.
          counter: model === ctx.model ? counter : new TokenCounter(ctx.estimateTokens ?? roughTokens),
          signal: opts.signal,
          onResponse,
        });
        return ctx.redact === undefined ? text : ctx.redact.redact(text);
      },
    });
  } catch (err) {
    if (isSylkError(err) && err.code === GateErrorCode.ContextOverflow)
      throw overflowError(ctx, counter, window, reserve, opts);
    throw err;
  }
  const original = new Set(before);
  const kept = fitted.messages.filter((m) => original.has(m)).length;
  if (kept === before.length) return undefined;
  // No room for even a cut-down summary: older messages are never dropped without one.
  if (!fitted.messages.some((m) => !original.has(m) && m.summaryOf !== undefined))
    throw overflowError(ctx, counter, window, reserve, opts);
  // The turn is waiting on this compaction: nothing else changed the history meanwhile.
  ctx.history.splice(0, ctx.history.length, ...fitted.messages);
  const stats: CompactionStats = {
    tokensBefore: counter.messages(ctx.model, before),
    tokensAfter: counter.messages(ctx.model, ctx.history),
    messagesSummarized: before.length - kept,
    model,
    manual: opts.manual,
    contextWindow: ctx.contextWindow ?? window,
  };
  ctx.emit({ type: 'compacted', ...stats });
  ctx.logger.info({ sessionId: ctx.sessionId, ...stats }, 'conversation compacted');
  return stats;
}

function emitUsage(ctx: CompactionContext, response: LLMResponse): void {
  const costUsd = ctx.costOf?.(response.model, response.usage);
  ctx.emit({ type: 'usage', usage: response.usage, ...(costUsd !== undefined ? { costUsd } : {}) });
}

/**
 * The newest message (or unit) cannot fit the window: what it is, and what the user can do. When
 * the system prompt and tools alone take the room, the window itself is the problem.
 */
function overflowError(
  ctx: CompactionContext,
  counter: TokenCounter,
  window: number,
  reserve: number,
  opts: CompactOptions,
): SylkError {
  const fixed = counter.fixed(ctx.model, opts.systemPrompt, opts.tools);
  const newest = ctx.history[ctx.history.length - 1];
  const details = { contextWindow: window, model: ctx.model, reason: 'newest' };
  if (fixed >= window - reserve) {
    return new SylkError(
      `the system prompt and tools alone are ~${fixed} tokens, more than the ` +
        `${window}-token context window of ${ctx.model} leaves beside ${reserve} tokens for the reply`,
      {
        code: AgentErrorCode.ContextOverflow,
        tier: ErrorTier.UserFixable,
        hint: `check the model's window (llm.providers.${ctx.provider}.models.${ctx.model}.context_window), or use a model with a larger one`,
        details: { ...details, reason: 'fixed' },
      },
    );
  }
  const tokens = newest === undefined ? 0 : counter.message(ctx.model, newest);
  const what = newest?.role === 'user' ? `your message is ~${tokens} tokens` : 'the newest tool results are';
  return new SylkError(
    `${what} more than the ${window}-token context window of ${ctx.model} can take with the system prompt, tools and ${reserve} tokens for the reply`,
    {
      code: AgentErrorCode.ContextOverflow,
      tier: ErrorTier.UserFixable,
      hint:
        newest?.role === 'user'
          ? 'send a shorter message: name files by path (the agent reads them) instead of pasting them, ' +
            'or split it; or use a model with a larger context window'
          : 'ask for smaller pieces (read files by line ranges, filter command output); the next message compacts them away',
      details,
    },
  );
}

/** A provider's own "prompt is too long" (HTTP 400/413): the estimate was low. */
function isPromptTooLong(error: unknown): boolean {
  for (
    let e: unknown = error, depth = 0;
    e !== undefined && e !== null && depth < 8;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (!(e instanceof ProviderError)) continue;
    const { status, errorType } = e.info;
    if (errorType === 'request_too_large' || status === 413) return true;
    if (status === 400 && TOO_LONG.test(e.message)) return true;
  }
  return false;
}

const TOO_LONG =
  /prompt is too long|context[_ ]length|context window|maximum context|too many (input )?tokens|input token count|input is too long/i;

export type WindowFit =
  { kind: 'ok'; maxTokens?: number } | { kind: 'cancelled' } | { kind: 'error'; error: SylkError };

/**
 * A turn's context window: before each request the conversation is checked against the model's
 * window (a cached sum, see TokenCounter) and compacted when it passes the threshold; the request's
 * output limit is kept within what is left. A provider that still finds the prompt too long gets
 * one compaction into a smaller share of the window per turn, and the request is sent again.
 */
export class TurnWindow {
  private readonly counter: TokenCounter;
  /** After the provider said too long: the share of the window fitted into (this turn). */
  private share = 1;
  private recovered = false;
  /** A compaction failed while the conversation still fit: not tried again until it does not. */
  private failed = false;

  constructor(
    private readonly ctx: TurnContext,
    private readonly systemPrompt: string,
    private readonly tools: readonly ToolDefinition[],
    private readonly onResponse: (response: LLMResponse) => void,
  ) {
    this.counter = tokenCounter(ctx.estimateTokens);
  }

  /** Estimated input tokens of the next request. */
  inputTokens(): number {
    return (
      this.counter.fixed(this.ctx.model, this.systemPrompt, this.tools) +
      this.counter.messages(this.ctx.model, this.ctx.history)
    );
  }

  async fit(signal: AbortSignal): Promise<WindowFit> {
    const ctx = this.ctx;
    const full = ctx.contextWindow;
    if (full === undefined || full <= 0) return ok(ctx.maxTokens);
    const window = Math.floor(full * this.share);
    const settings = ctx.compaction;
    let input = this.inputTokens();
    const due = input + outputReserve(ctx.maxTokens, window) > (settings?.threshold ?? DEFAULT_THRESHOLD) * window;
    if (settings?.enabled !== false && due && !(this.failed && input < window)) {
      const failed = await this.compact(signal, input < window);
      if (failed !== undefined) return failed;
      input = this.inputTokens();
    }
    if (input >= window) return { kind: 'error', error: this.tooLong(input, window) };
    return ok(ctx.maxTokens === undefined ? undefined : Math.max(1, Math.min(ctx.maxTokens, window - input)));
  }

  /** True when the failed request should be sent again: it was too long and is compacted now. */
  async recover(error: unknown, signal: AbortSignal): Promise<boolean> {
    if (this.recovered || this.ctx.contextWindow === undefined || !isPromptTooLong(error)) return false;
    this.recovered = true;
    this.share = Math.min(this.share, 0.8);
    this.ctx.logger.warn(
      { sessionId: this.ctx.sessionId, model: this.ctx.model },
      'the provider found the prompt too long; compacting and sending it again',
    );
    return (await this.compact(signal, false)) === undefined;
  }

  /** Undefined when the request may go on (compacted, or not needed); else why not. */
  private async compact(signal: AbortSignal, fitsAnyway: boolean): Promise<WindowFit | undefined> {
    try {
      await compactHistory(this.ctx, {
        signal,
        manual: false,
        systemPrompt: this.systemPrompt,
        tools: this.tools,
        onResponse: this.onResponse,
        windowShare: this.share,
      });
      return undefined;
    } catch (err) {
      if (signal.aborted) return { kind: 'cancelled' };
      const error = isSylkError(err)
        ? err
        : new SylkError(String(err), { code: AgentErrorCode.CompactionFailed, tier: ErrorTier.Transient, cause: err });
      if (error.code === AgentErrorCode.ContextOverflow) {
        // A message of this turn's user that cannot be sent is not kept: the session stays usable.
        if (error.details['reason'] === 'newest' && this.ctx.history[this.ctx.history.length - 1]?.role === 'user')
          this.ctx.history.pop();
        return { kind: 'error', error };
      }
      if (!fitsAnyway) return { kind: 'error', error };
      this.failed = true;
      this.ctx.emit({
        type: 'notice',
        message: `Could not compact the conversation (${error.message}); continuing with all of it.`,
      });
      return undefined;
    }
  }

  private tooLong(input: number, window: number): SylkError {
    return new SylkError(
      `the conversation is ~${input} tokens, more than the ${window}-token context window of ${this.ctx.model}`,
      {
        code: AgentErrorCode.ContextOverflow,
        tier: ErrorTier.UserFixable,
        hint: 'compact it (/compact in the attached view, or sylk compact <session>); automatic compaction is off (sessions.compaction.enabled)',
      },
    );
  }
}

const ok = (maxTokens: number | undefined): WindowFit =>
  maxTokens === undefined ? { kind: 'ok' } : { kind: 'ok', maxTokens };
