import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { LLMRequest, LLMResponse, StopReason, StreamChunk, Usage } from '../types.js';
import type { ErrorContext } from './errors.js';
import { requireFinished, type EventMapper } from './stream.js';
import { openaiEffort } from './reasoning.js';
import { toToolCall } from '../tool-call.js';

type ChatUsage = NonNullable<ChatCompletion['usage']>;

const FINISH: Record<string, StopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'end_turn',
};

/** `compatible` servers (Ollama, vLLM, LM Studio, llama.cpp) get `max_tokens`, not OpenAI-only fields. */
export function chatBody(
  request: LLMRequest,
  model: string,
  compatible: boolean,
): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.systemPrompt) messages.push({ role: 'system', content: request.systemPrompt });
  const effort = openaiEffort(request, model);
  for (const m of request.messages) {
    if (m.role === 'tool') messages.push({ role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content });
    else if (m.role === 'assistant') {
      messages.push({
        role: 'assistant',
        content: m.content || null,
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function' as const,
                function: { name: c.name, arguments: c.argumentsText ?? JSON.stringify(c.arguments) },
              })),
            }
          : {}),
      });
    } else messages.push({ role: m.role, content: m.content });
  }
  return {
    model,
    messages,
    ...(request.tools?.length
      ? {
          tools: request.tools.map((t) => ({
            type: 'function' as const,
            function: { name: t.name, description: t.description, parameters: t.parameters },
          })),
        }
      : {}),
    ...(request.maxTokens !== undefined
      ? compatible
        ? { max_tokens: request.maxTokens }
        : { max_completion_tokens: request.maxTokens }
      : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.stopSequences?.length ? { stop: request.stopSequences } : {}),
    ...(effort && !compatible ? { reasoning_effort: effort } : {}),
  };
}

function usageOf(u: ChatUsage): Usage {
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    inputTokens: u.prompt_tokens - cached,
    outputTokens: u.completion_tokens,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

/** Reasoning text from servers that stream it (vLLM/Ollama `reasoning_content`, some `reasoning`). */
function reasoningOf(delta: object): string | undefined {
  const d = delta as { reasoning_content?: unknown; reasoning?: unknown };
  const text = d.reasoning_content ?? d.reasoning;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

export function chatToLLM(res: ChatCompletion): LLMResponse {
  const choice = res.choices[0];
  const message = choice?.message;
  const toolCalls = (message?.tool_calls ?? []).flatMap((c) =>
    c.type === 'function' ? [toToolCall(c.id, c.function.name, c.function.arguments)] : [],
  );
  const thinking = message ? reasoningOf(message) : undefined;
  return {
    content: message?.content ?? '',
    model: res.model,
    toolCalls,
    stopReason: FINISH[choice?.finish_reason ?? 'stop'] ?? 'end_turn',
    usage: res.usage
      ? usageOf(res.usage)
      : { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    providerMetadata: { id: res.id },
    ...(thinking ? { thinking } : {}),
  };
}

export class ChatMapper implements EventMapper<ChatCompletionChunk> {
  /** Wire tool index → [normalized index, still open]. */
  private readonly tools = new Map<number, number>();
  private readonly open = new Set<number>();
  private started = false;
  private stop: StopReason | undefined;
  constructor(private readonly ctx: Omit<ErrorContext, 'inStream'>) {}

  map(chunk: ChatCompletionChunk): StreamChunk[] {
    const out: StreamChunk[] = [];
    if (!this.started) {
      this.started = true;
      out.push({ type: 'start', model: chunk.model, id: chunk.id });
    }
    if (chunk.usage) out.push({ type: 'usage', usage: usageOf(chunk.usage) });
    const choice = chunk.choices[0];
    if (!choice) return out;
    const delta = choice.delta;
    const thinking = reasoningOf(delta);
    if (thinking) out.push({ type: 'thinking', text: thinking });
    if (delta.content) out.push({ type: 'text', text: delta.content });
    for (const call of delta.tool_calls ?? []) {
      let index = this.tools.get(call.index);
      if (index === undefined) {
        index = this.tools.size;
        this.tools.set(call.index, index);
        this.open.add(index);
        out.push({
          type: 'tool_start',
          index,
          id: call.id ?? `call_${chunk.id}_${index}`,
          name: call.function?.name ?? '',
        });
      }
      if (call.function?.arguments) out.push({ type: 'tool_delta', index, argumentsDelta: call.function.arguments });
    }
    if (choice.finish_reason) {
      this.stop = FINISH[choice.finish_reason] ?? 'end_turn';
      out.push(...this.closeTools());
    }
    return out;
  }

  /** The stop chunk waits for the trailing usage chunk, which comes after finish_reason. */
  finish(): StreamChunk[] {
    requireFinished(this.stop !== undefined, this.ctx);
    return [{ type: 'stop', stopReason: this.stop ?? 'end_turn' }];
  }

  private closeTools(): StreamChunk[] {
    const out: StreamChunk[] = [...this.open].map((index) => ({ type: 'tool_end' as const, index }));
    this.open.clear();
    return out;
  }
}
