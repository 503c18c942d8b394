import type Anthropic from '@anthropic-ai/sdk';
import type {
  MessageCreateParamsNonStreaming,
  RawMessageStreamEvent,
  Message as AnthropicMessage,
  ContentBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { LLMRequest, LLMResponse, Message, StopReason, StreamChunk, ThinkingBlock } from '../types.js';
import { blockedError, type ErrorContext, type HeaderLike } from './errors.js';
import { BaseAdapter, lazyClient } from './base.js';
import type { AdapterConfig } from './config.js';
import { fromStainlessError, fromStreamErrorEvent } from './sdk-errors.js';
import { parseMessageEvent } from './anthropic-events.js';
import { alternate, assistantContent, budgetThinking, refuseSampling, type TurnParam } from './anthropic-thinking.js';
import { readProviderEvents, type ServerSentEvent } from './sse.js';
import { driveBatches, requireFinished, type EventMapper } from './stream.js';
import { toToolCall } from '../tool-call.js';
import { ANTHROPIC_API_VERSION } from './api-versions.js';

const THINKING_BUDGET = { low: 2048, medium: 8192, high: 16384, xhigh: 32000 } as const;

/**
 * Claude 4.6 and later think adaptively: `thinking: {type: 'adaptive'}` with
 * `output_config.effort`. The Claude 5 models and Opus 4.7+ reject a token budget (400), and 4.6
 * deprecates it; older models (and the `claude-3-…` names) take one. Ids are
 * `claude-<family>-<major>[-<minor>][-<date>]`.
 */
function thinksAdaptively(model: string): boolean {
  const m = /^claude-[a-z]+-(\d+)(?:-(\d{1,2}))?(?!\d)/.exec(model);
  if (m === null) return false;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return major > 4 || (major === 4 && minor >= 6);
}

const BETAS = 'interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';
const DEFAULT_MAX_TOKENS = 8192;
/** The SDK's own ceiling for a request; the gate's `llm.timeout` ends an attempt long before. */
const NON_STREAMING_TIMEOUT_MS = 60 * 60 * 1000;

export class AnthropicAdapter extends BaseAdapter {
  readonly name = 'anthropic' as const;
  private readonly client: () => Promise<Anthropic>;

  constructor(config: Omit<AdapterConfig, 'provider'>) {
    super({ ...config, provider: 'anthropic' }, true);
    this.client = lazyClient(async () => {
      const { default: Sdk } = await import('@anthropic-ai/sdk');
      return new Sdk({
        apiKey: config.apiKey ?? '',
        maxRetries: 0, // the gate owns retries
        logLevel: 'off',
        defaultHeaders: { 'anthropic-version': ANTHROPIC_API_VERSION, 'anthropic-beta': BETAS, ...config.headers },
        ...(config.baseUrl !== undefined ? { baseURL: config.baseUrl } : {}),
        ...(config.fetch !== undefined ? { fetch: config.fetch } : {}),
      });
    });
  }

  streamBatches(request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk[]> {
    let body: MessageCreateParamsNonStreaming;
    try {
      body = this.body(request);
    } catch (err) {
      return failed(err); // a request the API would refuse (a bad thinking budget): the stream fails
    }
    return driveBatches<RawMessageStreamEvent>({
      ctx: this.ctx(),
      signal,
      // The SDK sends the request and turns HTTP failures into APIErrors; the body is read here
      // (sse.ts says why).
      open: async (s) => {
        const response = await (
          await this.client()
        ).messages
          .create({ ...body, stream: true }, { signal: s })
          .asResponse();
        const ctx = this.errorCtx(true);
        return readProviderEvents(response, (sse) => messageEvent(sse, response.headers, ctx));
      },
      mapper: new AnthropicMapper(this.ctx()),
      toError: (err, inStream) => fromStainlessError(this.errorCtx(inStream), err),
    });
  }

  protected async generateOnce(request: LLMRequest, signal: AbortSignal): Promise<LLMResponse> {
    // The SDK refuses a non-streamed request whose max_tokens could take over 10 minutes (the
    // catalogue's output limits do) unless a timeout is given; the gate bounds the attempt itself.
    const msg = await (
      await this.client()
    ).messages.create(this.body(request), { signal, timeout: NON_STREAMING_TIMEOUT_MS });
    return toResponse(msg, this.errorCtx(false));
  }

  protected toError(err: unknown, inStream: boolean) {
    return fromStainlessError(this.errorCtx(inStream), err);
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    await (await this.client()).models.list({ limit: 1 }, { signal });
  }

  private body(request: LLMRequest): MessageCreateParamsNonStreaming {
    const system = [request.systemPrompt, ...request.messages.filter((m) => m.role === 'system').map((m) => m.content)]
      .filter(Boolean)
      .join('\n\n');
    const model = this.model(request);
    refuseSampling(request, model);
    const effort = request.reasoningEffort;
    // A configured budget (request.thinking) turns thinking on; models that think adaptively take no budget.
    const configured = (request.thinking?.budgetTokens ?? 0) > 0;
    const adaptive = (effort !== undefined || configured) && thinksAdaptively(model);
    let maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
    // Thinking counts toward max_tokens either way: leave the answer room after a full budget.
    const budget = effort !== undefined && !configured ? THINKING_BUDGET[effort] : undefined;
    if (budget !== undefined && maxTokens <= budget) maxTokens = budget + DEFAULT_MAX_TOKENS;
    const withBudget = adaptive ? undefined : budgetThinking(request, model, maxTokens);
    return {
      model,
      max_tokens: maxTokens,
      messages: toMessages(request.messages),
      ...(system ? { system } : {}),
      ...(request.tools?.length
        ? {
            tools: request.tools.map((t) => ({
              name: t.name,
              description: t.description,
              input_schema: { type: 'object' as const, ...t.parameters },
            })),
          }
        : {}),
      ...(request.stopSequences?.length ? { stop_sequences: request.stopSequences } : {}),
      ...(adaptive
        ? { thinking: { type: 'adaptive' as const }, ...(effort !== undefined ? { output_config: { effort } } : {}) }
        : {}),
      ...(budget !== undefined && !adaptive ? { thinking: { type: 'enabled' as const, budget_tokens: budget } } : {}),
      ...withBudget,
    };
  }
}

/** A stream that fails on its first read. */
async function* failed(err: unknown): AsyncGenerator<StreamChunk[]> {
  throw err;
}

/**
 * Tool results become user turns of tool_result blocks; consecutive ones share a turn. Assistant
 * turns carry their thinking blocks back; roles alternate.
 */
function toMessages(messages: Message[]): TurnParam[] {
  const out: TurnParam[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const block: ContentBlockParam = {
        type: 'tool_result',
        tool_use_id: m.toolCallId ?? '',
        content: m.content,
        ...(m.isError ? { is_error: true } : {}),
      };
      const prev = out[out.length - 1];
      if (prev?.role === 'user' && Array.isArray(prev.content) && prev.content.every((b) => b.type === 'tool_result'))
        prev.content.push(block);
      else out.push({ role: 'user', content: [block] });
      continue;
    }
    if (m.role === 'assistant' && (m.toolCalls?.length || m.thinking?.length)) {
      out.push({ role: 'assistant', content: assistantContent(m) });
      continue;
    }
    out.push({ role: m.role, content: m.content });
  }
  return alternate(out);
}

function stopReason(reason: string | null | undefined, ctx: ErrorContext): StopReason {
  if (reason === 'refusal') throw blockedError(ctx, 'refusal');
  if (reason === 'max_tokens' || reason === 'stop_sequence' || reason === 'tool_use') return reason;
  return 'end_turn';
}

function toResponse(msg: AnthropicMessage, ctx: ErrorContext): LLMResponse {
  let content = '';
  let thinking = '';
  const blocks: ThinkingBlock[] = [];
  const toolCalls = [];
  for (const block of msg.content) {
    if (block.type === 'text') content += block.text;
    else if (block.type === 'thinking') {
      thinking += block.thinking;
      blocks.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
    } else if (block.type === 'redacted_thinking') blocks.push({ type: 'redacted_thinking', data: block.data });
    else if (block.type === 'tool_use') toolCalls.push(toToolCall(block.id, block.name, JSON.stringify(block.input)));
  }
  return {
    content,
    model: msg.model,
    stopReason: stopReason(msg.stop_reason, ctx),
    toolCalls,
    usage: {
      inputTokens: msg.usage.input_tokens,
      outputTokens: msg.usage.output_tokens,
      cacheReadTokens: msg.usage.cache_read_input_tokens ?? 0,
      cacheWriteTokens: msg.usage.cache_creation_input_tokens ?? 0,
    },
    providerMetadata: { id: msg.id },
    ...(thinking ? { thinking } : {}),
    ...(blocks.length > 0 ? { thinkingBlocks: blocks } : {}),
  };
}

/**
 * One event of the Messages stream, as the SDK's stream would give it: `ping`s and unnamed events
 * skipped, an `error` event thrown as a ProviderError, unparseable data thrown as a SyntaxError.
 */
function messageEvent(sse: ServerSentEvent, headers: HeaderLike, ctx: ErrorContext): RawMessageStreamEvent | undefined {
  if (sse.event === undefined || sse.event === 'ping' || sse.data === '') return undefined;
  if (sse.event === 'error') throw fromStreamErrorEvent(ctx, sse.data, headers);
  return parseMessageEvent(sse.data);
}

/** Content blocks by SSE index → normalized tool ordinals. */
class AnthropicMapper implements EventMapper<RawMessageStreamEvent> {
  private readonly toolIndex = new Map<number, number>();
  private stop: StopReason = 'end_turn';
  private done = false;
  constructor(private readonly ctx: Omit<ErrorContext, 'inStream'>) {}

  map(ev: RawMessageStreamEvent): StreamChunk[] {
    switch (ev.type) {
      case 'message_start': {
        const u = ev.message.usage;
        return [
          { type: 'start', model: ev.message.model, id: ev.message.id },
          {
            type: 'usage',
            usage: {
              inputTokens: u.input_tokens,
              cacheReadTokens: u.cache_read_input_tokens ?? 0,
              cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
            },
          },
        ];
      }
      case 'content_block_start': {
        if (ev.content_block.type === 'redacted_thinking')
          return [{ type: 'redacted_thinking', data: ev.content_block.data }];
        if (ev.content_block.type !== 'tool_use') return [];
        const index = this.toolIndex.size;
        this.toolIndex.set(ev.index, index);
        return [{ type: 'tool_start', index, id: ev.content_block.id, name: ev.content_block.name }];
      }
      case 'content_block_delta': {
        const d = ev.delta;
        if (d.type === 'text_delta') return [{ type: 'text', text: d.text }];
        if (d.type === 'thinking_delta') return [{ type: 'thinking', text: d.thinking }];
        if (d.type === 'signature_delta') return [{ type: 'thinking_signature', signature: d.signature }];
        const index = this.toolIndex.get(ev.index);
        if (d.type === 'input_json_delta' && index !== undefined)
          return [{ type: 'tool_delta', index, argumentsDelta: d.partial_json }];
        return [];
      }
      case 'content_block_stop': {
        const index = this.toolIndex.get(ev.index);
        return index === undefined ? [] : [{ type: 'tool_end', index }];
      }
      case 'message_delta':
        this.stop = stopReason(ev.delta.stop_reason, { ...this.ctx, inStream: true });
        return [{ type: 'usage', usage: { outputTokens: ev.usage.output_tokens } }];
      case 'message_stop':
        this.done = true;
        return [{ type: 'stop', stopReason: this.stop }];
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
