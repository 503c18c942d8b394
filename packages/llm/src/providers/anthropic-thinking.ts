import type { ContentBlockParam, MessageParam, ThinkingConfigParam } from '@anthropic-ai/sdk/resources/messages';
import { ErrorTier, SylkError } from '@sylk/core';
import type { LLMRequest, Message } from '../types.js';

/** The smallest budget the Messages API accepts. */
const MIN_THINKING_BUDGET = 1024;

export interface ThinkingParams {
  thinking: ThinkingConfigParam;
}

/**
 * Extended thinking with a token budget (`request.thinking`), checked as the API would check it:
 * at least 1024 tokens, below `max_tokens`, and no sampling settings thinking does not allow.
 * A bad budget is the user's configuration, so the error names the setting to change.
 */
export function budgetThinking(request: LLMRequest, model: string, maxTokens: number): ThinkingParams | undefined {
  const budget = request.thinking?.budgetTokens;
  if (budget === undefined || budget <= 0) return undefined;
  const setting = `llm.providers.anthropic.models.${model}.thinking_budget_tokens`;
  if (!Number.isInteger(budget) || budget < MIN_THINKING_BUDGET || budget >= maxTokens) {
    throw new SylkError(
      `the thinking budget for ${model} is ${budget} tokens; Anthropic needs at least ${MIN_THINKING_BUDGET} and fewer than max_tokens (${maxTokens})`,
      {
        tier: ErrorTier.UserFixable,
        code: 'llm.invalid_thinking_budget',
        hint:
          `Set ${setting} between ${MIN_THINKING_BUDGET} and ${maxTokens - 1} ` +
          `(or raise the output limit, sessions.max_output_tokens), or to 0 to turn thinking off.`,
      },
    );
  }
  if (
    (request.temperature !== undefined && request.temperature !== 1) ||
    request.topK !== undefined ||
    (request.topP !== undefined && request.topP < 0.95)
  ) {
    throw new SylkError(
      `extended thinking on ${model} cannot be combined with temperature, top_k or a top_p below 0.95`,
      {
        tier: ErrorTier.UserFixable,
        code: 'llm.invalid_thinking_budget',
        hint: `Remove the sampling settings, or set ${setting} to 0 to turn thinking off.`,
      },
    );
  }
  return { thinking: { type: 'enabled', budget_tokens: budget } };
}

/**
 * An assistant turn's content: its thinking blocks first, exactly as received (Anthropic checks
 * the signature, and with thinking on requires them before the turn's tool calls), then text and
 * tool calls.
 */
export function assistantContent(m: Message): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = (m.thinking ?? []).map((b) =>
    b.type === 'thinking'
      ? { type: 'thinking', thinking: b.thinking, signature: b.signature }
      : { type: 'redacted_thinking', data: b.data },
  );
  if (m.content) blocks.push({ type: 'text', text: m.content });
  for (const call of m.toolCalls ?? [])
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
  return blocks;
}

/**
 * Consecutive turns of one role joined into one, so roles alternate as the API requires: a user
 * message after tool results (a cancelled turn, then new input) joins their turn.
 */
export function alternate(messages: MessageParam[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const m of messages) {
    const prev = out[out.length - 1];
    if (prev === undefined || prev.role !== m.role) {
      out.push(m);
      continue;
    }
    out[out.length - 1] = { role: m.role, content: [...blocksOf(prev.content), ...blocksOf(m.content)] };
  }
  return out;
}

function blocksOf(content: MessageParam['content']): ContentBlockParam[] {
  if (typeof content !== 'string') return content;
  return content === '' ? [] : [{ type: 'text', text: content }];
}
