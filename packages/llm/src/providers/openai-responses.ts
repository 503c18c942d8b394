import type {
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
  Response as OpenAIResponse,
} from 'openai/resources/responses/responses';
import type { LLMRequest, LLMResponse, StopReason, StreamChunk, Usage } from '../types.js';
import { providerError, type ErrorContext } from './errors.js';
import { requireFinished, type EventMapper } from './stream.js';
import { openaiEffort } from './reasoning.js';
import { toToolCall } from '../tool-call.js';

type OpenAIUsage = NonNullable<OpenAIResponse['usage']>;

export function responsesBody(request: LLMRequest, model: string): ResponseCreateParamsNonStreaming {
  const instructions = [
    request.systemPrompt,
    ...request.messages.filter((m) => m.role === 'system').map((m) => m.content),
  ]
    .filter(Boolean)
    .join('\n\n');
  const input: ResponseInputItem[] = [];
  const effort = openaiEffort(request, model);
  for (const m of request.messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      input.push({ type: 'function_call_output', call_id: m.toolCallId ?? '', output: m.content });
      continue;
    }
    if (m.content || m.role === 'user') input.push({ role: m.role, content: m.content });
    for (const call of m.toolCalls ?? []) {
      input.push({
        type: 'function_call',
        call_id: call.id,
        name: call.name,
        arguments: call.argumentsText ?? JSON.stringify(call.arguments),
      });
    }
  }
  return {
    model,
    input,
    store: false,
    ...(instructions ? { instructions } : {}),
    ...(request.tools?.length
      ? {
          tools: request.tools.map((t) => ({
            type: 'function' as const,
            name: t.name,
            description: t.description,
            parameters: t.parameters,
            strict: false,
          })),
        }
      : {}),
    ...(request.maxTokens !== undefined ? { max_output_tokens: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(effort ? { reasoning: { effort, summary: 'auto' as const } } : {}),
  };
}

/** OpenAI counts cached tokens inside input_tokens; ours does not. */
function usageOf(u: OpenAIUsage): Usage {
  const cached = u.input_tokens_details?.cached_tokens ?? 0;
  return {
    inputTokens: u.input_tokens - cached,
    outputTokens: u.output_tokens,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

function stopOf(res: OpenAIResponse, hasTools: boolean): StopReason {
  if (res.status === 'incomplete' && res.incomplete_details?.reason === 'max_output_tokens') return 'max_tokens';
  return hasTools ? 'tool_use' : 'end_turn';
}

export function responsesToLLM(res: OpenAIResponse): LLMResponse {
  let content = '';
  let thinking = '';
  const toolCalls = [];
  for (const item of res.output) {
    if (item.type === 'message')
      for (const part of item.content) content += part.type === 'output_text' ? part.text : '';
    else if (item.type === 'reasoning') thinking += item.summary.map((s) => s.text).join('');
    else if (item.type === 'function_call') toolCalls.push(toToolCall(item.call_id, item.name, item.arguments));
  }
  return {
    content,
    model: res.model,
    stopReason: stopOf(res, toolCalls.length > 0),
    toolCalls,
    usage: res.usage
      ? usageOf(res.usage)
      : { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    providerMetadata: { id: res.id },
    ...(thinking ? { thinking } : {}),
  };
}

export class ResponsesMapper implements EventMapper<ResponseStreamEvent> {
  private readonly tools = new Map<number, number>();
  private done = false;
  constructor(private readonly ctx: Omit<ErrorContext, 'inStream'>) {}

  map(ev: ResponseStreamEvent): StreamChunk[] {
    switch (ev.type) {
      case 'response.created':
        return [{ type: 'start', model: ev.response.model, id: ev.response.id }];
      case 'response.output_text.delta':
        return [{ type: 'text', text: ev.delta }];
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return [{ type: 'thinking', text: ev.delta }];
      case 'response.output_item.added': {
        if (ev.item.type !== 'function_call') return [];
        const index = this.tools.size;
        this.tools.set(ev.output_index, index);
        return [{ type: 'tool_start', index, id: ev.item.call_id, name: ev.item.name }];
      }
      case 'response.function_call_arguments.delta': {
        const index = this.tools.get(ev.output_index);
        return index === undefined ? [] : [{ type: 'tool_delta', index, argumentsDelta: ev.delta }];
      }
      case 'response.output_item.done': {
        const index = this.tools.get(ev.output_index);
        return index === undefined ? [] : [{ type: 'tool_end', index }];
      }
      case 'response.completed':
      case 'response.incomplete':
        this.done = true;
        return [
          ...(ev.response.usage ? [{ type: 'usage' as const, usage: usageOf(ev.response.usage) }] : []),
          { type: 'stop', stopReason: stopOf(ev.response, this.tools.size > 0) },
        ];
      case 'response.failed': {
        const e = ev.response.error;
        throw providerError(
          { ...this.ctx, inStream: true },
          { errorType: e?.code ?? 'response_failed', message: e?.message ?? 'response failed' },
          undefined,
        );
      }
      case 'error':
        throw providerError(
          { ...this.ctx, inStream: true },
          { errorType: ev.code ?? undefined, message: ev.message },
          undefined,
        );
      default:
        return [];
    }
  }

  get complete(): boolean {
    return this.done;
  }

  finish(): StreamChunk[] {
    requireFinished(this.done, this.ctx);
    return [];
  }
}
