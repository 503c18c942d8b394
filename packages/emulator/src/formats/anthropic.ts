import { rejectThinkingRequest, thinkingSignature } from './anthropic-thinking.js';
import { argumentsText } from '../cut-reply.js';
import {
  deltaFrames,
  header,
  sse,
  textOf,
  type Obj,
  type ResolvedReply,
  type ReplyContext,
  type WireFormat,
} from './types.js';

/** Anthropic Messages API: `POST /v1/messages`, named SSE events. */
export const anthropicFormat: WireFormat = {
  name: 'anthropic',
  isStream: (body) => body['stream'] === true,
  model: (body) => String(body['model'] ?? 'unknown'),
  apiKey: (headers) => header(headers, 'x-api-key') ?? header(headers, 'authorization')?.replace(/^Bearer\s+/i, ''),
  lastMessage(body) {
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0) return undefined;
    const last = messages[messages.length - 1] as Obj;
    const content = last['content'];
    // Tool results followed by text in one turn (new input after a cancelled tool round): the text is the last message.
    const typed = Array.isArray(content) && content.some((b: Obj) => b['type'] === 'text');
    if (Array.isArray(content) && content.some((b: Obj) => b['type'] === 'tool_result') && !typed) {
      return {
        role: 'tool',
        text: content
          .filter((b: Obj) => b['type'] === 'tool_result')
          .map((b: Obj) => textOf(b['content']))
          .join('\n'),
      };
    }
    if (Array.isArray(content) && typed && last['role'] === 'user')
      return { role: 'user', text: textOf(content.filter((b: Obj) => b['type'] === 'text')) };
    return last['role'] === 'user' ? { role: 'user', text: textOf(content) } : undefined;
  },
  rejectRequest: rejectThinkingRequest,

  *streamEvents(reply, ctx) {
    const ev = (type: string, data: Obj) => sse({ type, ...data }, type);
    yield ev('message_start', {
      message: {
        ...messageShell(reply, ctx),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage(reply), output_tokens: 1 },
      },
    });
    yield ev('ping', {});
    let index = 0;
    if (reply.thinking) {
      yield ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      yield* deltaFrames(reply.thinking, reply.chunkSize, (part) =>
        ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: part } }),
      );
      yield ev('content_block_delta', {
        index,
        delta: { type: 'signature_delta', signature: thinkingSignature(reply.thinking) },
      });
      yield ev('content_block_stop', { index });
      index++;
    }
    if (reply.redactedThinking) {
      yield ev('content_block_start', {
        index,
        content_block: { type: 'redacted_thinking', data: reply.redactedThinking },
      });
      yield ev('content_block_stop', { index });
      index++;
    }
    if (reply.text) {
      yield ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
      yield* deltaFrames(reply.text, reply.chunkSize, (part) =>
        ev('content_block_delta', { index, delta: { type: 'text_delta', text: part } }),
      );
      yield ev('content_block_stop', { index });
      index++;
    }
    for (const call of reply.toolCalls) {
      yield ev('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      });
      yield* deltaFrames(argumentsText(call), reply.chunkSize, (part) =>
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }),
      );
      yield ev('content_block_stop', { index });
      index++;
    }
    yield ev('message_delta', {
      delta: { stop_reason: reply.stopReason, stop_sequence: null },
      usage: { output_tokens: reply.usage.output },
    });
    yield ev('message_stop', {});
  },

  jsonBody(reply, ctx) {
    const content: Obj[] = [];
    if (reply.thinking)
      content.push({ type: 'thinking', thinking: reply.thinking, signature: thinkingSignature(reply.thinking) });
    if (reply.redactedThinking) content.push({ type: 'redacted_thinking', data: reply.redactedThinking });
    if (reply.text) content.push({ type: 'text', text: reply.text });
    for (const call of reply.toolCalls)
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
    return {
      ...messageShell(reply, ctx),
      content,
      stop_reason: reply.stopReason,
      stop_sequence: null,
      usage: { ...usage(reply), output_tokens: reply.usage.output },
    };
  },

  errorBody: (spec) => ({
    type: 'error',
    error: { type: spec.errorType, message: spec.message },
    request_id: 'req_emulator',
  }),
  streamError: (spec) => sse({ type: 'error', error: { type: spec.errorType, message: spec.message } }, 'error'),
  malformedEvent: () =>
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_\n\n',
  faults: {
    rate_limit: {
      status: 429,
      errorType: 'rate_limit_error',
      message: 'Number of request tokens has exceeded your per-minute rate limit',
    },
    overloaded: { status: 529, errorType: 'overloaded_error', message: 'Overloaded' },
    server_error: { status: 500, errorType: 'api_error', message: 'Internal server error' },
    unauthorized: { status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' },
    quota: {
      status: 429,
      errorType: 'billing_error',
      message: 'Your credit balance is too low to access the Anthropic API',
    },
  },
};

function messageShell(_reply: ResolvedReply, ctx: ReplyContext): Obj {
  return { id: `msg_${ctx.id}`, type: 'message', role: 'assistant', model: ctx.model };
}

function usage(reply: ResolvedReply): Obj {
  return {
    input_tokens: reply.usage.input,
    cache_creation_input_tokens: reply.usage.cacheWrite,
    cache_read_input_tokens: reply.usage.cacheRead,
  };
}
