import { createHash } from 'node:crypto';
import type { ErrorSpec, Obj } from './types.js';

/**
 * Extended thinking as the Messages API checks it. The emulator signs each thinking block with a
 * hash of its text, so a block passed back changed, or a signature made up, is refused as the
 * real API refuses it; and with thinking on, the assistant turn whose tool results are being sent
 * must start with its thinking block.
 */
export function thinkingSignature(thinking: string): string {
  return `emu_sig_${createHash('sha256').update(`sylk-emulator thinking\n${thinking}`).digest('base64url')}`;
}

const MIN_BUDGET = 1024;

function invalid(message: string): ErrorSpec {
  return { status: 400, errorType: 'invalid_request_error', message };
}

export function rejectThinkingRequest(body: Obj): ErrorSpec | undefined {
  const thinking = body['thinking'] as Obj | undefined;
  const type = thinking?.['type'];
  if (type === 'enabled') {
    const budget = Number(thinking?.['budget_tokens']);
    const maxTokens = Number(body['max_tokens']);
    if (!Number.isInteger(budget) || budget < MIN_BUDGET)
      return invalid(`thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_BUDGET}`);
    if (budget >= maxTokens)
      return invalid(
        '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at ' +
          'https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size',
      );
    const temperature = body['temperature'];
    if (temperature !== undefined && temperature !== 1)
      return invalid(
        '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at ' +
          'https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility',
      );
  }
  const messages = Array.isArray(body['messages']) ? (body['messages'] as Obj[]) : [];
  for (const [i, m] of messages.entries()) {
    if (m['role'] !== 'assistant' || !Array.isArray(m['content'])) continue;
    for (const [j, block] of (m['content'] as Obj[]).entries()) {
      if (block['type'] === 'thinking' && block['signature'] !== thinkingSignature(String(block['thinking'] ?? ''))) {
        return invalid(`messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
      }
    }
  }
  if (type !== 'enabled' && type !== 'adaptive') return undefined;
  const lastAssistant = continuedToolTurn(messages);
  if (lastAssistant === undefined) return undefined;
  const first = (
    Array.isArray(messages[lastAssistant]?.['content']) ? (messages[lastAssistant]?.['content'] as Obj[]) : []
  )[0];
  if (first?.['type'] === 'thinking' || first?.['type'] === 'redacted_thinking') return undefined;
  return invalid(
    `messages.${lastAssistant}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first?.['type'] ?? 'text')}\`. ` +
      'When `thinking` is enabled, a final `assistant` message must start with a thinking block ' +
      '(preceeding the lastmost set of `tool_use` and `tool_result` blocks). ' +
      'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. ' +
      'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking',
  );
}

/** The index of the assistant turn whose tool calls the request's last message answers. */
function continuedToolTurn(messages: Obj[]): number | undefined {
  const last = messages[messages.length - 1];
  const content = last?.['content'];
  if (last?.['role'] !== 'user' || !Array.isArray(content) || !content.some((b: Obj) => b['type'] === 'tool_result'))
    return undefined;
  const i = messages.length - 2;
  return messages[i]?.['role'] === 'assistant' ? i : undefined;
}
