import {
  bearer,
  deltaFrames,
  sse,
  textOf,
  type DefaultFault,
  type ErrorSpec,
  type Obj,
  type ResolvedReply,
  type ReplyContext,
  type WireFormat,
} from './types.js';
import { argumentsText } from '../cut-reply.js';

export const openaiFaults: Record<DefaultFault, ErrorSpec> = {
  rate_limit: { status: 429, errorType: 'rate_limit_exceeded', message: 'Rate limit reached for requests' },
  overloaded: { status: 503, errorType: 'server_error', message: 'The server is overloaded or not ready yet.' },
  server_error: {
    status: 500,
    errorType: 'server_error',
    message: 'The server had an error while processing your request.',
  },
  unauthorized: { status: 401, errorType: 'invalid_api_key', message: 'Incorrect API key provided.' },
  quota: {
    status: 429,
    errorType: 'insufficient_quota',
    message: 'You exceeded your current quota, please check your plan and billing details.',
  },
};

const FINISH: Record<ResolvedReply['stopReason'], string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
};

/** OpenAI Chat Completions (and OpenAI-compatible servers): unnamed SSE chunks ending in `[DONE]`. */
export const openaiChatFormat: WireFormat = {
  name: 'openai-chat',
  isStream: (body) => body['stream'] === true,
  model: (body) => String(body['model'] ?? 'unknown'),
  apiKey: (headers) => bearer(headers),
  lastMessage(body) {
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) return undefined;
    const last = messages[messages.length - 1] as Obj;
    if (last['role'] === 'tool') return { role: 'tool', text: textOf(last['content']) };
    return last['role'] === 'user' ? { role: 'user', text: textOf(last['content']) } : undefined;
  },

  *streamEvents(reply, ctx) {
    const chunk = (delta: Obj, finish: string | null = null) =>
      sse({
        ...shell(ctx),
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      });
    yield chunk({ role: 'assistant', content: '' });
    // vLLM / Ollama / DeepSeek style reasoning deltas.
    yield* deltaFrames(reply.thinking, reply.chunkSize, (part) => chunk({ reasoning_content: part }));
    yield* deltaFrames(reply.text, reply.chunkSize, (part) => chunk({ content: part }));
    for (const [index, call] of reply.toolCalls.entries()) {
      yield chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      });
      yield* deltaFrames(argumentsText(call), reply.chunkSize, (part) =>
        chunk({ tool_calls: [{ index, function: { arguments: part } }] }),
      );
    }
    yield chunk({}, FINISH[reply.stopReason]);
    yield sse({ ...shell(ctx), object: 'chat.completion.chunk', choices: [], usage: usage(reply) });
    yield 'data: [DONE]\n\n';
  },

  jsonBody(reply, ctx) {
    const message: Obj = { role: 'assistant', content: reply.text || null, refusal: null };
    if (reply.thinking) message['reasoning_content'] = reply.thinking;
    if (reply.toolCalls.length > 0) {
      message['tool_calls'] = reply.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      }));
    }
    return {
      ...shell(ctx),
      object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[reply.stopReason] }],
      usage: usage(reply),
    };
  },

  errorBody: (spec) => ({ error: { message: spec.message, type: spec.errorType, param: null, code: spec.errorType } }),
  streamError: (spec) =>
    sse({ error: { message: spec.message, type: spec.errorType, param: null, code: spec.errorType } }),
  malformedEvent: () => 'data: {"id":"chatcmpl-x","choices":[{"delta":{"content":\n\n',
  faults: openaiFaults,
};

function shell(ctx: ReplyContext): Obj {
  return { id: `chatcmpl-${ctx.id}`, created: 1_700_000_000, model: ctx.model, system_fingerprint: 'fp_emulator' };
}

function usage(reply: ResolvedReply): Obj {
  const prompt = reply.usage.input + reply.usage.cacheRead;
  return {
    prompt_tokens: prompt,
    completion_tokens: reply.usage.output,
    total_tokens: prompt + reply.usage.output,
    prompt_tokens_details: { cached_tokens: reply.usage.cacheRead },
  };
}
