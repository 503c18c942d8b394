import { ErrorTier, SylkError } from '@sylk/core';
import type { LLMRequest, Message } from '../types.js';
import { GateErrorCode } from './errors.js';

export interface FitContextOptions {
  /** The model's context window in tokens. */
  contextWindow: number;
  /** Tokens kept free for the response (default: the request's maxTokens, else 0). */
  reserve?: number;
  estimateTokens: (request: LLMRequest) => number;
  /** Summarizes older messages in about `summaryTokens` tokens (the agent loop calls the model). */
  summarize: (messages: Message[], summaryTokens: number) => Promise<string>;
  /** Tokens set aside for the summary message (default min(1024, a quarter of the window left)). */
  summaryTokens?: number;
  /**
   * What always stays verbatim: the newest turn, from the last user message on (default), or only
   * the newest unit (an agent loop whose current turn alone can outgrow the window).
   */
  keep?: 'newest_turn' | 'newest_unit';
  /** Newer units are added to the minimum until this many messages are kept (whole units). */
  keepRecentMessages?: number;
  /** Fill kept units and the summary up to this many tokens (default: all that is available). */
  target?: number;
  /** Summarize even when the request fits (manual compaction; the provider said it was too long). */
  force?: boolean;
}

/** The assistant's answer to a summary that a user message follows (roles alternate). */
export const SUMMARY_ACKNOWLEDGED = '[continuing from the context summary]';

/**
 * Splits messages into units that must stay together: an assistant message with tool calls and
 * the tool results answering it; every other message alone.
 * @internal exported for tests
 */
export function messageUnits(messages: readonly Message[]): Message[][] {
  const units: Message[][] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    const unit = [m];
    if (m.role === 'assistant' && m.toolCalls !== undefined && m.toolCalls.length > 0) {
      const ids = new Set(m.toolCalls.map((c) => c.id));
      while (i + 1 < messages.length) {
        const next = messages[i + 1] as Message;
        if (next.role !== 'tool' || next.toolCallId === undefined || !ids.has(next.toolCallId)) break;
        unit.push(next);
        i++;
      }
    }
    units.push(unit);
  }
  return units;
}

/**
 * Fits a request into `contextWindow − reserve`. Keeps the system prompt (and tools),
 * the newest turn (from the last user message on; `keep: 'newest_unit'`: the newest unit) and as
 * many newer units as fit `target` and `keepRecentMessages`, never splitting a tool call from its
 * results; older messages become one summary message `[Context summary of N earlier messages] …`
 * with `summaryOf = N` (a user-role message; when the kept part opens with a user message, an
 * assistant message {@link SUMMARY_ACKNOWLEDGED} sits between them, so roles keep alternating).
 * Fails with `llm.context_overflow` when the system prompt plus that minimum alone do not fit.
 */
export async function fitContext(request: LLMRequest, opts: FitContextOptions): Promise<LLMRequest> {
  const available = opts.contextWindow - (opts.reserve ?? request.maxTokens ?? 0);
  const estimate = opts.estimateTokens;
  if (opts.force !== true && estimate(request) <= available) return request;

  const empty = { ...request, messages: [] };
  const base = estimate(empty);
  const bare = estimate({ model: request.model, messages: [] });
  const units = messageUnits(request.messages);
  const costs = units.map((u) => estimate({ model: request.model, messages: u }) - bare);
  let newestTurn = units.length - 1;
  for (let i = units.length - 1; i >= 0 && opts.keep !== 'newest_unit'; i--) {
    if (units[i]?.[0]?.role === 'user') {
      newestTurn = i;
      break;
    }
  }
  const minimum = base + costs.slice(Math.max(0, newestTurn)).reduce((a, b) => a + b, 0);
  if (units.length === 0 || minimum > available) {
    throw new SylkError(
      `context overflow for ${request.model}: ` +
        `the system prompt and newest ${opts.keep === 'newest_unit' ? 'message' : 'turn'} ` +
        `need ~${minimum} tokens but only ${available} of the ${opts.contextWindow}-token window are available`,
      {
        tier: ErrorTier.Permanent,
        code: GateErrorCode.ContextOverflow,
        details: { model: request.model, minimum, available, contextWindow: opts.contextWindow },
      },
    );
  }

  const summaryTokens = Math.max(
    0,
    Math.min(opts.summaryTokens ?? Math.min(1024, Math.floor((available - base) / 4)), available - minimum),
  );
  const target = Math.min(available, opts.target ?? available);
  const maxMessages = opts.keepRecentMessages ?? Number.POSITIVE_INFINITY;
  let used = minimum + summaryTokens;
  let keepFrom = Math.max(0, newestTurn);
  let keptMessages = units.slice(keepFrom).reduce((n, u) => n + u.length, 0);
  while (keepFrom > 0 && used + (costs[keepFrom - 1] ?? 0) <= target && keptMessages < maxMessages) {
    keepFrom--;
    used += costs[keepFrom] ?? 0;
    keptMessages += units[keepFrom]?.length ?? 0;
  }
  const kept = units.slice(keepFrom).flat();
  const evicted = units.slice(0, keepFrom).flat();
  if (evicted.length === 0 || summaryTokens === 0) return { ...request, messages: kept };

  const count = evicted.reduce((n, m) => n + (m.summaryOf ?? 1), 0);
  const header = `[Context summary of ${count} earlier messages] `;
  // Roles keep alternating: a kept part that opens with a user message gets the summary answered.
  const bridge: Message[] = kept[0]?.role === 'user' ? [{ role: 'assistant', content: SUMMARY_ACKNOWLEDGED }] : [];
  let text = await opts.summarize(evicted, summaryTokens);
  for (let tries = 0; tries < 4; tries++) {
    const summary: Message = { role: 'user', content: header + text, summaryOf: count };
    const fitted = { ...request, messages: [summary, ...bridge, ...kept] };
    const over = estimate(fitted) - available;
    if (over <= 0) return fitted;
    // Cut the summary by the overshoot (about 4 characters a token), with margin.
    text = text.slice(0, Math.max(0, text.length - over * 4 - 16));
  }
  return { ...request, messages: kept };
}
