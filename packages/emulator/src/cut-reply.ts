import type { ResolvedToolCall } from './formats/types.js';

/** A tool call's arguments as streamed: its JSON, or the cut text of a reply that hit the output limit. */
export function argumentsText(call: ResolvedToolCall): string {
  return call.argumentsText ?? JSON.stringify(call.arguments);
}

/**
 * `cutToolArguments`: the last call's arguments end after `chars` characters of their JSON, as
 * when a real reply reaches `max_tokens` in the middle of a tool call (the block is still closed).
 */
export function cutLastCall(calls: ResolvedToolCall[], chars: number | undefined): ResolvedToolCall[] {
  const last = calls[calls.length - 1];
  if (chars === undefined || last === undefined) return calls;
  return [...calls.slice(0, -1), { ...last, argumentsText: JSON.stringify(last.arguments).slice(0, chars) }];
}
