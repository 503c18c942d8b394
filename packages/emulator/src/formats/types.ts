import type { ScenarioStopReason } from '../scenario.js';

export type FormatName = 'anthropic' | 'openai-responses' | 'openai-chat' | 'gemini';
export type Obj = Record<string, unknown>;

export interface ResolvedToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  /** Streamed instead of the arguments' JSON: a call cut at the output limit (see cut-reply.ts). */
  argumentsText?: string;
}

/** A scenario reply with defaults applied; what every format renders. */
export interface ResolvedReply {
  text: string;
  thinking: string;
  /** Anthropic `redacted_thinking` data; '' for none. */
  redactedThinking: string;
  toolCalls: ResolvedToolCall[];
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number };
  chunkSize: number;
  stopReason: ScenarioStopReason;
  repeatToolCalls: boolean;
  blocked?: 'SAFETY' | 'RECITATION';
}

export interface ReplyContext {
  model: string;
  /** Unique per request; used to build response and item ids. */
  id: string;
}

export interface ErrorSpec {
  status: number;
  errorType: string;
  message: string;
  /** Rate limits: how long the client should wait (Gemini puts it in the body). */
  retryAfterMs?: number;
  /** Gemini: the `google.rpc.ErrorInfo` reason in the body's details (a bad key's `API_KEY_INVALID`). */
  reason?: string;
}

export interface LastMessage {
  role: 'user' | 'tool';
  text: string;
}

export type DefaultFault = 'rate_limit' | 'overloaded' | 'server_error' | 'unauthorized' | 'quota';

/** One provider wire format: how to read its requests and write its responses. */
export interface WireFormat {
  readonly name: FormatName;
  isStream(body: Obj): boolean;
  model(body: Obj): string;
  lastMessage(body: Obj): LastMessage | undefined;
  /** A request the real API would refuse (400), and why; undefined when it is acceptable. */
  rejectRequest?(body: Obj): ErrorSpec | undefined;
  apiKey(headers: Record<string, string | string[] | undefined>, query: Obj): string | undefined;
  /** Complete SSE frames, in order, for a streamed reply (each is one "chunk" for faults). */
  /** The SSE (or JSON-lines) frames of a streamed reply, made as they are read: a long reply is never all in memory. */
  streamEvents(reply: ResolvedReply, ctx: ReplyContext): Iterable<string>;
  jsonBody(reply: ResolvedReply, ctx: ReplyContext): unknown;
  errorBody(spec: ErrorSpec): unknown;
  /** What an error after a 200 looks like in this format's stream. */
  streamError(spec: ErrorSpec): string;
  malformedEvent(): string;
  faults: Record<DefaultFault, ErrorSpec>;
}

export function* splitText(text: string, size: number): Generator<string, void, undefined> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** Stands for the part while a delta's frame is rendered once (see {@link deltaFrames}). */
const PART_MARK = '\u0000sylk-emulator-part\u0000';
const PART_MARK_JSON = JSON.stringify(PART_MARK);

/**
 * The frames of `text` streamed `size` characters at a time: `frame(part)` for each part, where
 * `frame` embeds the part as a JSON string and is otherwise the same for every part. It is
 * rendered once, around a marker, and each part's JSON is spliced in: building and serializing
 * nested objects for each of 50,000 deltas was most of the emulator's CPU while it paced a long
 * reply beside the daemon under test.
 */
export function* deltaFrames(
  text: string,
  size: number,
  frame: (part: string) => string,
): Generator<string, void, undefined> {
  const pieces = frame(PART_MARK).split(PART_MARK_JSON);
  const [head, tail] = pieces;
  for (const part of splitText(text, size)) {
    yield pieces.length === 2 ? `${head}${JSON.stringify(part)}${tail}` : frame(part);
  }
}

export function sse(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (typeof part === 'string') return part;
        if (typeof part === 'object' && part !== null) {
          const p = part as Obj;
          if (typeof p['text'] === 'string') return p['text'];
          if (p['content'] !== undefined) return textOf(p['content']);
        }
        return '';
      })
      .join('');
  }
  if (content === undefined || content === null) return '';
  return JSON.stringify(content);
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function bearer(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = header(headers, 'authorization');
  return auth?.replace(/^Bearer\s+/i, '');
}
