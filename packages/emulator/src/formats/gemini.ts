import {
  deltaFrames,
  header,
  textOf,
  type Obj,
  type ResolvedReply,
  type ReplyContext,
  type WireFormat,
} from './types.js';

const FINISH: Record<ResolvedReply['stopReason'], string> = {
  end_turn: 'STOP',
  stop_sequence: 'STOP',
  tool_use: 'STOP',
  max_tokens: 'MAX_TOKENS',
};

// Gemini frames SSE with CRLF, and the SDK's parser expects exactly that.
const frame = (data: unknown): string => `data: ${JSON.stringify(data)}\r\n\r\n`;

/** Gemini API: `POST /v1/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` (or `/v1beta/…`). */
export const geminiFormat: WireFormat = {
  name: 'gemini',
  isStream: (body) => body['__stream'] === true,
  model: (body) => String(body['__model'] ?? 'unknown'),
  apiKey: (headers, query) =>
    header(headers, 'x-goog-api-key') ?? (typeof query['key'] === 'string' ? query['key'] : undefined),
  lastMessage(body) {
    const contents = body['contents'];
    if (!Array.isArray(contents) || contents.length === 0) return undefined;
    const last = contents[contents.length - 1] as Obj;
    const parts = Array.isArray(last['parts']) ? (last['parts'] as Obj[]) : [];
    const responses = parts.filter((p) => p['functionResponse'] !== undefined);
    if (responses.length > 0) {
      return {
        role: 'tool',
        text: responses.map((p) => textOf((p['functionResponse'] as Obj)['response'])).join('\n'),
      };
    }
    return last['role'] === 'model' ? undefined : { role: 'user', text: textOf(parts) };
  },

  *streamEvents(reply, ctx) {
    const chunk = (parts: Obj[]) =>
      frame({ ...shell(ctx), candidates: [{ content: { parts, role: 'model' }, index: 0 }] });
    yield* deltaFrames(reply.thinking, reply.chunkSize, (part) => chunk([{ text: part, thought: true }]));
    yield* deltaFrames(reply.text, reply.chunkSize, (part) => chunk([{ text: part }]));
    if (reply.toolCalls.length > 0) {
      yield chunk(functionCalls(reply));
      if (reply.repeatToolCalls) yield chunk(functionCalls(reply));
    }
    yield frame({ ...shell(ctx), candidates: [finalCandidate(reply, [])], usageMetadata: usage(reply) });
  },

  jsonBody(reply, ctx) {
    const parts: Obj[] = [];
    if (reply.thinking) parts.push({ text: reply.thinking, thought: true });
    if (reply.text) parts.push({ text: reply.text });
    parts.push(...functionCalls(reply));
    if (reply.repeatToolCalls) parts.push(...functionCalls(reply));
    return { ...shell(ctx), candidates: [finalCandidate(reply, parts)], usageMetadata: usage(reply) };
  },

  errorBody(spec) {
    const details: Obj[] = [];
    if (spec.reason !== undefined)
      details.push({
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: spec.reason,
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      });
    if (spec.retryAfterMs !== undefined)
      details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${spec.retryAfterMs / 1000}s` });
    return { error: { code: spec.status, message: spec.message, status: spec.errorType, details } };
  },
  // After a 200, Google writes the error as a bare JSON object (no `data:`); the SDK looks for exactly that.
  streamError: (spec) =>
    JSON.stringify({ error: { code: spec.status, message: spec.message, status: spec.errorType } }),
  malformedEvent: () => 'data: {"candidates":[{"content":{"parts":[{"text":\r\n\r\n',
  faults: {
    rate_limit: {
      status: 429,
      errorType: 'RESOURCE_EXHAUSTED',
      message: 'Resource has been exhausted (e.g. check quota).',
    },
    overloaded: { status: 503, errorType: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
    server_error: { status: 500, errorType: 'INTERNAL', message: 'An internal error has occurred.' },
    unauthorized: {
      status: 400,
      errorType: 'INVALID_ARGUMENT',
      message: 'API key not valid. Please pass a valid API key.',
      reason: 'API_KEY_INVALID',
    },
    quota: {
      status: 429,
      errorType: 'RESOURCE_EXHAUSTED',
      message: 'You exceeded your current quota, please check your plan and billing details.',
    },
  },
};

function shell(ctx: ReplyContext): Obj {
  return { modelVersion: ctx.model, responseId: `resp_${ctx.id}` };
}

function functionCalls(reply: ResolvedReply): Obj[] {
  return reply.toolCalls.map((c) => ({ functionCall: { name: c.name, args: c.arguments } }));
}

function finalCandidate(reply: ResolvedReply, parts: Obj[]): Obj {
  if (reply.blocked) {
    return {
      finishReason: reply.blocked,
      index: 0,
      safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }],
    };
  }
  return { content: { parts, role: 'model' }, finishReason: FINISH[reply.stopReason], index: 0 };
}

function usage(reply: ResolvedReply): Obj {
  const prompt = reply.usage.input + reply.usage.cacheRead;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: reply.usage.output,
    totalTokenCount: prompt + reply.usage.output,
    ...(reply.usage.cacheRead > 0 ? { cachedContentTokenCount: reply.usage.cacheRead } : {}),
  };
}
