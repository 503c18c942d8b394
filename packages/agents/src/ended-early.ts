import { isSylkError } from '@sylk/core';
import { ProviderError, type Message } from '@sylk/llm';
import type { TurnContext, TurnStopReason } from './types.js';

/**
 * One rule for a reply that ended before the model finished it: the history keeps what the user
 * saw, then a marker that says truthfully why it stopped, and roles keep alternating (a turn that
 * got no reply at all gets a "[no reply: …]" assistant message), so the next request never holds
 * two user messages in a row. Tool calls of a cut reply are never kept as calls.
 */

/**
 * Appended to partial assistant text kept in history after a cancel.
 * @internal exported for tests
 */
export const INTERRUPTED_MARKER = '[interrupted by the user]';

/** Stream limits, to say how long a stalled provider was waited for. */
export interface StreamLimitsSeconds {
  chunkTimeout?: number;
  maxDuration?: number;
  firstOutput?: number;
}

/** Why a reply ended early: `here` follows the text the user saw, `plain` stands alone. */
interface Cause {
  here: string;
  plain: string;
}

const stopped = (why: string): Cause => ({ here: `stopped: ${why}`, plain: why });
const USER: Cause = { here: 'interrupted by the user', plain: 'interrupted by the user' };
const DROPPED: Cause = { here: 'the connection dropped here', plain: 'the connection to the provider failed' };

/** From the gate's partial-response reason (`cancelled`, `chunk_timeout`, …). */
export function causeOfPartial(reason: string | undefined, limits: StreamLimitsSeconds = {}): Cause {
  switch (reason) {
    case 'cancelled':
      return USER;
    case 'chunk_timeout':
      return stopped(
        `the provider stopped sending${limits.chunkTimeout !== undefined ? ` for ${limits.chunkTimeout} s` : ''}`,
      );
    case 'max_duration':
      return stopped(
        `the reply reached its time limit${limits.maxDuration !== undefined ? ` of ${limits.maxDuration} s` : ''}`,
      );
    case 'budget_exceeded':
      return stopped('a budget limit was reached');
    case 'size_limit':
      return stopped('the reply reached its size limit');
    case 'preempted':
      return stopped('preempted by another request');
    case 'closed':
      return stopped('sylkd was shutting down');
    default:
      return stopped(`the reply ended early (${reason ?? 'unknown'})`);
  }
}

/** The codes along an error's cause chain, outermost first. */
function codesOf(error: unknown): { codes: string[]; provider?: ProviderError } {
  const codes: string[] = [];
  let provider: ProviderError | undefined;
  for (
    let e: unknown = error, depth = 0;
    e !== undefined && e !== null && depth < 8;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof ProviderError) provider ??= e;
    if (isSylkError(e)) codes.push(e.code);
  }
  return { codes, ...(provider !== undefined ? { provider } : {}) };
}

/** From a failed request's error (the gate's, with the provider's as its cause). */
export function causeOfError(error: unknown, limits: StreamLimitsSeconds = {}): Cause {
  const { codes, provider } = codesOf(error);
  if (codes.includes('llm.network') || codes.includes('llm.stream_truncated')) return DROPPED;
  if (codes.includes('llm.stream_timeout'))
    return stopped(
      `the provider sent nothing${limits.chunkTimeout !== undefined ? ` for ${limits.chunkTimeout} s` : ''}`,
    );
  if (codes.includes('llm.first_output_timeout'))
    return stopped(
      `the provider sent no output${limits.firstOutput !== undefined ? ` within ${limits.firstOutput} s` : ''}`,
    );
  if (codes.includes('llm.budget_exceeded')) return stopped('a budget limit was reached');
  if (codes.includes('llm.cancelled')) return USER;
  if (codes.includes('llm.malformed_response')) return stopped('the provider sent a malformed response');
  const errorType = provider?.info.errorType;
  if (errorType !== undefined) return stopped(`the provider reported ${errorType}`);
  if (provider?.info.status !== undefined) return stopped(`the provider answered HTTP ${provider.info.status}`);
  return stopped(`the request failed (${codes.at(-1) ?? 'error'})`);
}

/** The cause of a turn that ends without a reply, by how it stopped. */
export function causeOfStop(stopReason: TurnStopReason, error: unknown): Cause {
  if (stopReason === 'cancelled') return USER;
  if (error !== undefined) return causeOfError(error);
  return stopped(stopReason === 'budget' ? 'a budget limit was reached' : 'the turn ended before the model answered');
}

/**
 * Keeps what the user saw of a cut reply (`text`, as streamed) with the marker; the assistant
 * message is also an event (`partial: true`) for attached clients. Without text it closes the turn.
 */
export function keepEndedEarly(ctx: TurnContext, text: string, cause: Cause): void {
  if (text === '') return closeOpenTurn(ctx.history, cause);
  const content = `${ctx.redact === undefined ? text : ctx.redact.redact(text)}\n\n[${cause.here}]`;
  ctx.history.push({ role: 'assistant', content });
  ctx.emit({ type: 'assistant_message', text: content, toolCalls: [], partial: true });
}

/** A history whose last message is the user's (nothing answered it) gets a no-reply marker. */
export function closeOpenTurn(
  history: Message[],
  cause: Cause = stopped('the turn ended before the model answered'),
): void {
  if (history.at(-1)?.role === 'user') history.push({ role: 'assistant', content: `[no reply: ${cause.plain}]` });
}
