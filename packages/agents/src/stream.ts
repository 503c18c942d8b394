import { TextPieces } from '@sylk/core';
import type { GateRequest, LLMResponse } from '@sylk/llm';
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
export async function streamRound(gate: AgentGate, req: GateRequest, signal: AbortSignal, emit: (e: AgentEvent) => void): Promise<StreamOutcome> {
  const text = new TextPieces();
  try {
    const stream = gate.stream(req, signal);
    for await (const chunk of stream) {
      if (chunk.type === 'text') {
        text.append(chunk.text);
        emit({ type: 'assistant_delta', text: chunk.text });
      } else if (chunk.type === 'thinking') emit({ type: 'thinking_delta', text: chunk.text });
      else if (chunk.type === 'error') throw chunk.error;
    }
    return { kind: 'response', response: await stream.response };
  } catch (error) {
    return { kind: 'failed', error, text: text.toString() };
  }
}
