import type { GoogleGenAI, Content, GenerateContentParameters, GenerateContentResponse, Part } from '@google/genai';
import type { LLMRequest, LLMResponse, Message, StopReason, StreamChunk, Usage } from '../types.js';
import { blockedError, providerError, transportError, unknownError, type ErrorContext } from './errors.js';
import { BaseAdapter, lazyClient } from './base.js';
import type { AdapterConfig } from './config.js';
import { accumulate, driveBatches, inBatchesOfOne, requireFinished, type EventMapper } from './stream.js';
import { ProviderError } from '../types.js';
import { GEMINI_API_VERSION } from './api-versions.js';

const THINKING_BUDGET = { low: 2048, medium: 8192, high: 16384, xhigh: 32768 } as const;
const BLOCK_REASONS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

/** Google Gemini API (API key). */
export class GoogleAdapter extends BaseAdapter {
  readonly name = 'google' as const;
  private readonly client: () => Promise<GoogleGenAI>;

  constructor(config: Omit<AdapterConfig, 'provider'>) {
    super({ ...config, provider: 'google' }, true);
    // @google/genai retries only when given `retryOptions`, which it is not: the gate owns retries.
    this.client = lazyClient(async () => {
      const { GoogleGenAI: Sdk } = await import('@google/genai');
      return new Sdk({
        apiKey: config.apiKey ?? '',
        apiVersion: GEMINI_API_VERSION,
        httpOptions: {
          ...(config.baseUrl !== undefined ? { baseUrl: config.baseUrl } : {}),
          ...(config.headers ? { headers: config.headers } : {}),
          ...(config.fetch !== undefined ? { fetch: config.fetch } : {}),
        },
      });
    });
  }

  streamBatches(request: LLMRequest, signal?: AbortSignal): AsyncIterable<StreamChunk[]> {
    return driveBatches<GenerateContentResponse>({
      ctx: this.ctx(),
      signal,
      open: async (s) =>
        inBatchesOfOne(await (await this.client()).models.generateContentStream(this.params(request, s))),
      mapper: new GeminiMapper(this.ctx(), request.model),
      toError: (err, inStream) => this.toError(err, inStream),
    });
  }

  /** Non-streaming responses have the same shape as a single stream chunk. */
  protected async generateOnce(request: LLMRequest, signal: AbortSignal): Promise<LLMResponse> {
    const res = await (await this.client()).models.generateContent(this.params(request, signal));
    const mapper = new GeminiMapper(this.ctx(), request.model, false);
    const chunks = [...mapper.map(res), ...mapper.finish()];
    return accumulate(
      (async function* () {
        yield* chunks;
      })(),
    );
  }

  protected toError(err: unknown, inStream: boolean): ProviderError {
    const ctx = this.errorCtx(inStream);
    if (err instanceof ProviderError) return err;
    if (err instanceof Error && err.name === 'ApiError') return apiError(ctx, err);
    return transportError(ctx, err) ?? unknownError(ctx, err);
  }

  protected async ping(signal: AbortSignal): Promise<void> {
    await (await this.client()).models.list({ config: { pageSize: 1, abortSignal: signal } });
  }

  private params(request: LLMRequest, signal: AbortSignal): GenerateContentParameters {
    const system = [request.systemPrompt, ...request.messages.filter((m) => m.role === 'system').map((m) => m.content)]
      .filter(Boolean)
      .join('\n\n');
    const options = request.providerOptions ?? {};
    return {
      model: this.model(request),
      contents: toContents(request.messages),
      config: {
        abortSignal: signal,
        ...(system ? { systemInstruction: system } : {}),
        ...(request.tools?.length
          ? {
              tools: [
                {
                  functionDeclarations: request.tools.map((t) => ({
                    name: t.name,
                    description: t.description,
                    parametersJsonSchema: t.parameters,
                  })),
                },
              ],
            }
          : {}),
        ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.topK !== undefined ? { topK: request.topK } : {}),
        ...(request.stopSequences?.length ? { stopSequences: request.stopSequences } : {}),
        ...(request.reasoningEffort
          ? { thinkingConfig: { includeThoughts: true, thinkingBudget: THINKING_BUDGET[request.reasoningEffort] } }
          : {}),
        ...(!request.reasoningEffort && (request.thinking?.budgetTokens ?? 0) > 0
          ? { thinkingConfig: { includeThoughts: true, thinkingBudget: request.thinking?.budgetTokens } }
          : {}),
        ...(Array.isArray(options['safetySettings']) ? { safetySettings: options['safetySettings'] } : {}),
      },
    };
  }
}

/** Function responses are matched to calls by name, so look the name up from the call id. */
function toContents(messages: Message[]): Content[] {
  const names = new Map<string, string>();
  const out: Content[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const part: Part = {
        functionResponse: {
          name: names.get(m.toolCallId ?? '') ?? 'tool',
          response: m.isError ? { error: m.content } : { output: m.content },
        },
      };
      const prev = out[out.length - 1];
      if (prev?.role === 'user' && prev.parts?.every((p) => p.functionResponse)) prev.parts.push(part);
      else out.push({ role: 'user', parts: [part] });
      continue;
    }
    const parts: Part[] = m.content ? [{ text: m.content }] : [];
    for (const call of m.toolCalls ?? []) {
      names.set(call.id, call.name);
      parts.push({ functionCall: { name: call.name, args: call.arguments } });
    }
    out.push({ role: m.role === 'assistant' ? 'model' : 'user', parts });
  }
  return out;
}

/** The SDK's ApiError carries the JSON body in its message (after `got status: …. ` when in a stream). */
function apiError(ctx: ErrorContext, err: Error & { status?: number }): ProviderError {
  let body: { error?: { code?: number; message?: string; status?: string; details?: Array<Record<string, unknown>> } } =
    {};
  const start = err.message.indexOf('{');
  try {
    if (start >= 0) body = JSON.parse(err.message.slice(start)) as typeof body;
  } catch {
    // keep the raw message
  }
  const e = body.error;
  const retry = e?.details?.find((d) => String(d['@type']).endsWith('google.rpc.RetryInfo'))?.['retryDelay'];
  const retryAfterMs =
    typeof retry === 'string' && /^\d+(\.\d+)?s$/.test(retry) ? Math.round(Number.parseFloat(retry) * 1000) : undefined;
  const message = e?.message ?? err.message;
  return providerError(
    ctx,
    {
      status: err.status ?? e?.code,
      errorType: e?.status,
      message,
      retryAfterMs,
      isAuth: /API key not valid|API_KEY_INVALID/.test(err.message),
    },
    err,
  );
}

function usageOf(u: NonNullable<GenerateContentResponse['usageMetadata']>): Usage {
  const cached = u.cachedContentTokenCount ?? 0;
  return {
    inputTokens: (u.promptTokenCount ?? 0) - cached,
    outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
}

/** Gemini sends whole function calls (never argument deltas) and sometimes repeats them: dedupe. */
class GeminiMapper implements EventMapper<GenerateContentResponse> {
  private started = false;
  private done = false;
  private readonly seenCalls = new Set<string>();
  private toolCount = 0;
  constructor(
    private readonly ctx: Omit<ErrorContext, 'inStream'>,
    private readonly model: string,
    private readonly inStream = true,
  ) {}

  map(res: GenerateContentResponse): StreamChunk[] {
    const out: StreamChunk[] = [];
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'start',
        model: res.modelVersion ?? this.model,
        ...(res.responseId ? { id: res.responseId } : {}),
      });
    }
    const blockReason = res.promptFeedback?.blockReason;
    if (blockReason) throw blockedError({ ...this.ctx, inStream: this.inStream }, String(blockReason));
    const candidate = res.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.text) out.push({ type: part.thought ? 'thinking' : 'text', text: part.text });
      if (part.functionCall) {
        const args = JSON.stringify(part.functionCall.args ?? {});
        const key = `${part.functionCall.id ?? ''}|${part.functionCall.name ?? ''}|${args}`;
        if (this.seenCalls.has(key)) continue;
        this.seenCalls.add(key);
        const index = this.toolCount++;
        const id = part.functionCall.id ?? `${res.responseId ?? 'gemini'}_call_${index}`;
        out.push(
          { type: 'tool_start', index, id, name: part.functionCall.name ?? '' },
          { type: 'tool_delta', index, argumentsDelta: args },
          { type: 'tool_end', index },
        );
      }
    }
    if (res.usageMetadata) out.push({ type: 'usage', usage: usageOf(res.usageMetadata) });
    const finish = candidate?.finishReason;
    if (finish) {
      if (BLOCK_REASONS.has(String(finish)))
        throw blockedError({ ...this.ctx, inStream: this.inStream }, String(finish));
      this.done = true;
      const stop: StopReason = finish === 'MAX_TOKENS' ? 'max_tokens' : this.toolCount > 0 ? 'tool_use' : 'end_turn';
      out.push({ type: 'stop', stopReason: stop });
    }
    return out;
  }

  get complete(): boolean {
    return this.done;
  }

  finish(): StreamChunk[] {
    requireFinished(this.done, this.ctx);
    return [];
  }
}
