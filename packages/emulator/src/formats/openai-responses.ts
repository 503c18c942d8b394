import {
  bearer,
  splitText,
  sse,
  textOf,
  type Obj,
  type ResolvedReply,
  type ReplyContext,
  type WireFormat,
} from './types.js';
import { argumentsText } from '../cut-reply.js';
import { openaiFaults } from './openai-chat.js';

/** OpenAI Responses API: `POST /v1/responses`, typed SSE events with sequence numbers. */
export const openaiResponsesFormat: WireFormat = {
  name: 'openai-responses',
  isStream: (body) => body['stream'] === true,
  model: (body) => String(body['model'] ?? 'unknown'),
  apiKey: (headers) => bearer(headers),
  lastMessage(body) {
    const input = body['input'];
    if (typeof input === 'string') return { role: 'user', text: input };
    if (!Array.isArray(input) || input.length === 0) return undefined;
    const last = input[input.length - 1] as Obj;
    if (last['type'] === 'function_call_output') return { role: 'tool', text: textOf(last['output']) };
    return last['role'] === 'user' ? { role: 'user', text: textOf(last['content']) } : undefined;
  },

  *streamEvents(reply, ctx) {
    let seq = 0;
    const ev = (type: string, data: Obj) => sse({ type, sequence_number: seq++, ...data }, type);
    const shell = responseShell(reply, ctx);
    yield ev('response.created', { response: { ...shell, status: 'in_progress', output: [], usage: null } });
    yield ev('response.in_progress', { response: { ...shell, status: 'in_progress', output: [], usage: null } });
    const items = outputItems(reply, ctx);
    for (const [output_index, item] of items.entries()) {
      const item_id = String(item['id']);
      if (item['type'] === 'reasoning') {
        yield ev('response.output_item.added', { output_index, item: { ...item, summary: [] } });
        yield ev('response.reasoning_summary_part.added', {
          item_id,
          output_index,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        });
        for (const delta of splitText(reply.thinking, reply.chunkSize)) {
          yield ev('response.reasoning_summary_text.delta', { item_id, output_index, summary_index: 0, delta });
        }
        yield ev('response.reasoning_summary_text.done', {
          item_id,
          output_index,
          summary_index: 0,
          text: reply.thinking,
        });
        yield ev('response.reasoning_summary_part.done', {
          item_id,
          output_index,
          summary_index: 0,
          part: { type: 'summary_text', text: reply.thinking },
        });
      } else if (item['type'] === 'message') {
        yield ev('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
        const part = { type: 'output_text', text: '', annotations: [] };
        yield ev('response.content_part.added', { item_id, output_index, content_index: 0, part });
        for (const delta of splitText(reply.text, reply.chunkSize)) {
          yield ev('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] });
        }
        yield ev('response.output_text.done', {
          item_id,
          output_index,
          content_index: 0,
          text: reply.text,
          logprobs: [],
        });
        yield ev('response.content_part.done', {
          item_id,
          output_index,
          content_index: 0,
          part: { ...part, text: reply.text },
        });
      } else {
        const args = String(item['arguments']);
        yield ev('response.output_item.added', {
          output_index,
          item: { ...item, arguments: '', status: 'in_progress' },
        });
        for (const delta of splitText(args, reply.chunkSize))
          yield ev('response.function_call_arguments.delta', { item_id, output_index, delta });
        yield ev('response.function_call_arguments.done', { item_id, output_index, arguments: args });
      }
      yield ev('response.output_item.done', { output_index, item });
    }
    const final = openaiResponsesFormat.jsonBody(reply, ctx) as Obj;
    yield ev(final['status'] === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
  },

  jsonBody(reply, ctx) {
    const incomplete = reply.stopReason === 'max_tokens';
    return {
      ...responseShell(reply, ctx),
      status: incomplete ? 'incomplete' : 'completed',
      incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
      output: outputItems(reply, ctx),
      usage: {
        input_tokens: reply.usage.input + reply.usage.cacheRead,
        input_tokens_details: { cached_tokens: reply.usage.cacheRead },
        output_tokens: reply.usage.output,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: reply.usage.input + reply.usage.cacheRead + reply.usage.output,
      },
    };
  },

  errorBody: (spec) => ({ error: { message: spec.message, type: spec.errorType, param: null, code: spec.errorType } }),
  // ResponseErrorEvent: code/message at the top level.
  streamError: (spec) =>
    sse({ type: 'error', code: spec.errorType, message: spec.message, param: null, sequence_number: 9999 }, 'error'),
  malformedEvent: () => 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":\n\n',
  faults: openaiFaults,
};

function responseShell(_reply: ResolvedReply, ctx: ReplyContext): Obj {
  return {
    id: `resp_${ctx.id}`,
    object: 'response',
    created_at: 1_700_000_000,
    model: ctx.model,
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
  };
}

function outputItems(reply: ResolvedReply, ctx: ReplyContext): Obj[] {
  const items: Obj[] = [];
  if (reply.thinking)
    items.push({ id: `rs_${ctx.id}`, type: 'reasoning', summary: [{ type: 'summary_text', text: reply.thinking }] });
  if (reply.text) {
    items.push({
      id: `msg_${ctx.id}`,
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    });
  }
  reply.toolCalls.forEach((call, i) => {
    items.push({
      id: `fc_${ctx.id}_${i}`,
      type: 'function_call',
      status: 'completed',
      call_id: call.id,
      name: call.name,
      arguments: argumentsText(call),
    });
  });
  return items;
}
