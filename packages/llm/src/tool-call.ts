import type { ToolCall } from './types.js';

/**
 * A tool call from its streamed or returned argument text: parsed when it is a JSON object,
 * `{}` when empty, and otherwise kept as raw text for the agent to see (malformed JSON from the
 * model is the model's mistake to correct, not a failure of the call).
 */
export function toToolCall(id: string, name: string, argsText: string): ToolCall {
  if (argsText.trim() === '') return { id, name, arguments: {} };
  try {
    const parsed: unknown = JSON.parse(argsText);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return { id, name, arguments: parsed as Record<string, unknown> };
  } catch {
    // fall through: keep the raw text
  }
  return { id, name, arguments: {}, argumentsText: argsText };
}
