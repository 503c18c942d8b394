import { TextPieces, type Redactor } from '@sylk/core';
import type { GateRequest, LLMResponse } from '@sylk/llm';
import { rateWaitNoticeText, retryNoticeText, type RateWait, type RetryScheduled } from '@sylk/llm/gate';
import type { AgentEvent, AgentGate } from './types.js';

export type StreamOutcome =
  | { kind: 'response'; response: LLMResponse }
  /** The gate refused or failed the request; `text` is what had streamed before. */
  | { kind: 'failed'; error: unknown; text: string };

/**
 * One model round-trip through the gate: text and thinking deltas become events as they arrive.
 * A cancel aborts the gate request; with output the gate settles a partial response, without
 * it the request fails with `llm.cancelled`.
 */
export async function streamRound(
  gate: AgentGate,
  req: GateRequest,
  signal: AbortSignal,
  emit: (e: AgentEvent) => void,
  redact?: Redactor,
): Promise<StreamOutcome> {
  const text = new TextPieces();
  // Deltas pass a streaming redactor: a known secret split across two deltas is still caught.
  const deltas = redact?.stream();
  const thinking = redact?.stream();
  // What a redactor holds back is let out when the other kind starts: thinking stays before the
  // text that follows it in the log.
  const endText = () => {
    const rest = deltas?.end() ?? '';
    if (rest !== '') emit({ type: 'assistant_delta', text: rest });
  };
  const endThinking = () => {
    const rest = thinking?.end() ?? '';
    if (rest !== '') emit({ type: 'thinking_delta', text: rest });
  };
  const flush = () => {
    endText();
    endThinking();
  };
  // A retry the user waits for is shown while they wait ("rate limited; retrying in 12 s").
  const onRetry = (retry: RetryScheduled) =>
    emit({ type: 'notice', code: 'llm.retrying', message: retryNoticeText(retry), delayMs: retry.delayMs });
  // So is a wait for the configured per-minute rate limit, shared with every other session.
  const onWait = (wait: RateWait) =>
    emit({ type: 'notice', code: 'llm.rate_limit_wait', message: rateWaitNoticeText(wait), delayMs: wait.delayMs });
  try {
    const stream = gate.stream({ ...req, onRetry, onWait }, signal);
    for await (const chunk of stream) {
      if (chunk.type === 'text') {
        endThinking();
        text.append(chunk.text);
        const safe = deltas === undefined ? chunk.text : deltas.write(chunk.text);
        if (safe !== '') emit({ type: 'assistant_delta', text: safe });
      } else if (chunk.type === 'thinking') {
        endText();
        const safe = thinking === undefined ? chunk.text : thinking.write(chunk.text);
        if (safe !== '') emit({ type: 'thinking_delta', text: safe });
      } else if (chunk.type === 'error') throw chunk.error;
    }
    flush();
    return { kind: 'response', response: await stream.response };
  } catch (error) {
    flush();
    return { kind: 'failed', error, text: text.toString() };
  }
}
