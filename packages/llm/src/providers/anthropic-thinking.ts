import type {
  AssistantMessageParam,
  ContentBlockParam,
  ThinkingConfigParam,
  UserMessageParam,
} from '@anthropic-ai/sdk/resources/messages';
import { ErrorTier, SylkError } from '@sylk/core';
import type { LLMRequest, Message } from '../types.js';

/** The smallest budget the Messages API accepts. */
const MIN_THINKING_BUDGET = 1024;

/** A user or assistant turn (the system prompt goes in the request's `system`, not in `messages`). */
export type TurnParam = UserMessageParam | AssistantMessageParam;

export interface ThinkingParams {
  thinking: ThinkingConfigParam;
}

/**
 * Extended thinking with a token budget (`request.thinking`), checked as the API would check it:
 * at least 1024 tokens and below `max_tokens`.
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
  return { thinking: { type: 'enabled', budget_tokens: budget } };
}

/**
 * The Messages API version the SDK speaks (2026-10-21) has no temperature, top_p or top_k and
 * answers a request with any of them with a 400, so such a request fails before it is sent.
 */
export function refuseSampling(request: LLMRequest, model: string): void {
  const sent = [
    request.temperature !== undefined ? 'temperature' : undefined,
    request.topP !== undefined ? 'top_p' : undefined,
    request.topK !== undefined ? 'top_k' : undefined,
  ].filter((name) => name !== undefined);
  if (sent.length === 0) return;
  throw new SylkError(`Anthropic's Messages API takes no ${sent.join(', ')} (a request for ${model} had it)`, {
    tier: ErrorTier.UserFixable,
    code: 'llm.unsupported_parameter',
    hint: `Leave ${sent.join(', ')} unset for Anthropic models: the model chooses its own sampling.`,
  });
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
export function alternate(messages: TurnParam[]): TurnParam[] {
  const out: TurnParam[] = [];
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

function blocksOf(content: TurnParam['content']): ContentBlockParam[] {
  if (typeof content !== 'string') return content;
  return content === '' ? [] : [{ type: 'text', text: content }];
}
