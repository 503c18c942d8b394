import type OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { LLMRequest, LLMResponse, StreamChunk } from '../types.js';
import { BaseAdapter, lazyClient } from './base.js';
import type { AdapterConfig } from './config.js';
import { fromStainlessError, fromStreamErrorBody } from './sdk-errors.js';
import { END_OF_STREAM, readProviderEvents } from './sse.js';
import { driveBatches } from './stream.js';
import { ResponsesMapper, responsesBody, responsesToLLM } from './openai-responses.js';
import { ChatMapper, chatBody, chatToLLM } from './openai-chat.js';

/**
 * OpenAI (Responses API by default, Chat Completions on request) and any OpenAI-compatible
 * server by base URL (Chat Completions; key optional).
 */
export class OpenAIAdapter extends BaseAdapter {
  readonly name: 'openai' | 'openai-compatible';
  private readonly client: () => Promise<OpenAI>;

  constructor(config: Omit<AdapterConfig, 'provider'> & { provider?: 'openai' | 'openai-compatible' }) {
    const provider = config.provider ?? 'openai';
    super({ ...config, provider }, provider === 'openai');
    this.name = provider;
    this.client = lazyClient(async () => {
      const { default: Sdk } = await import('openai');
      return new Sdk({
        // Local servers ignore the key, but the SDK insists on one.
        apiKey: config.apiKey || 'not-needed',
        maxRetries: 0, // the gate owns retries
        logLevel: 'off',
        ...(config.headers !== undefined ? { defaultHeaders: config.headers } : {}),
        ...(config.baseUrl !== undefined ? { baseURL: config.baseUrl } : {}),
        ...(config.fetch !== undefined ? { fetch: config.fetch } : {}),
      });
    });
  }

  streamBatches(request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk[]> {
    const toError = (err: unknown, inStream: boolean) => fromStainlessError(this.errorCtx(inStream), err);
    if (this.api(request) === 'responses') {
      const body = responsesBody(request, this.model(request));
      return driveBatches<ResponseStreamEvent>({
        ctx: this.ctx(),
        signal,
        toError,
        mapper: new ResponsesMapper(this.ctx()),
        open: async (s) =>
          this.events<ResponseStreamEvent>(
            await (await this.client()).responses.create({ ...body, stream: true }, { signal: s }).asResponse(),
          ),
      });
    }
    const body = chatBody(request, this.model(request), this.name === 'openai-compatible');
    return driveBatches<ChatCompletionChunk>({
      ctx: this.ctx(),
      signal,
      toError,
      mapper: new ChatMapper(this.ctx()),
      open: async (s) =>
        this.events<ChatCompletionChunk>(
          await (
            await this.client()
          ).chat.completions
            .create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: s })
            .asResponse(),
        ),
    });
  }

  /**
   * The SDK sends the request and turns HTTP failures into APIErrors; the body is read here
   * (sse.ts says why), with the SDK stream's rules: `[DONE]` ends the stream (nothing after it
   * is read, even if the server keeps the body open), and data carrying an `error` is thrown as one.
   */
  private events<E>(response: Response): AsyncGenerator<E[]> {
    const ctx = this.errorCtx(true);
    return readProviderEvents(response, (sse) => {
      if (sse.data.startsWith('[DONE]')) return END_OF_STREAM;
      const data: unknown = JSON.parse(sse.data);
      if (typeof data === 'object' && data !== null && 'error' in data && data.error)
        throw fromStreamErrorBody(ctx, data, response.headers);
      return data as E;
    });
  }

  protected async generateOnce(request: LLMRequest, signal: AbortSignal): Promise<LLMResponse> {
    if (this.api(request) === 'responses') {
      return responsesToLLM(
        await (await this.client()).responses.create(responsesBody(request, this.model(request)), { signal }),
      );
    }
    return chatToLLM(
      await (
        await this.client()
      ).chat.completions.create(chatBody(request, this.model(request), this.name === 'openai-compatible'), { signal }),
    );
  }

  protected toError(err: unknown, inStream: boolean) {
    return fromStainlessError(this.errorCtx(inStream), err);
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    await (await this.client()).models.list({ signal });
  }

  private api(request: LLMRequest): 'responses' | 'chat' {
    if (this.name === 'openai-compatible') return 'chat';
    return request.openaiApi ?? 'responses';
  }
}
