import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';

/** One server-sent event: its `event:` name (undefined when it has none) and its `data:` text. */
export type ServerSentEvent = EventSourceMessage;

/**
 * Characters one event (or one unterminated line) may buffer. A body that never ends its event is
 * a broken stream, and it must not grow the daemon's heap without bound.
 */
const MAX_SSE_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * The body broke the SSE framing (a SyntaxError, so errors.ts files it as a malformed response).
 * @internal exported for tests
 */
export class MalformedStreamError extends SyntaxError {}

/**
 * What a `toEvent` returns for the provider's end-of-stream marker (OpenAI's `data: [DONE]`):
 * the stream is complete, and the body is not read further even if the server keeps it open.
 */
export const END_OF_STREAM: unique symbol = Symbol('end of stream');

/**
 * The events of an SSE body, one array per network read, parsed by eventsource-parser (which
 * follows the spec's line endings, BOM and field rules). A read that holds only comments (a
 * gateway's `: keep-alive`) gives an empty array: the stream is alive.
 *
 * The SDKs' own stream iterators go through a line decoder, an SSE decoder and two async
 * generators per event: the Anthropic SDK's alone costs more CPU and garbage per event than
 * sylk's whole adapter reading this way (`npm run bench -- provider-stream`), and a read holding
 * hundreds of events costs one await instead of hundreds. The garbage matters most: it is
 * collected on the thread that also commits and relays every session's events.
 * @internal exported for tests
 */
export async function* readEventBatches(
  body: AsyncIterable<Uint8Array>,
  maxEventChars = MAX_SSE_EVENT_CHARS,
): AsyncGenerator<ServerSentEvent[]> {
  const decoder = new TextDecoder();
  let batch: ServerSentEvent[] = [];
  let broken: ParseError | undefined;
  let comment = false;
  const parser = createParser({
    onEvent: (event) => batch.push(event),
    onComment: () => (comment = true),
    // Unknown fields and bad `retry:` values are ignored, as the spec says; only overflow is fatal.
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') broken = err;
    },
    maxBufferSize: maxEventChars,
  });
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (broken !== undefined)
      throw new MalformedStreamError(`a stream event ran past ${maxEventChars} characters without ending`);
    if (batch.length > 0 || comment) {
      comment = false;
      yield batch;
      batch = [];
    }
  }
  // An event the body ends in the middle of is dropped, as the spec says; the mapper then
  // reports the stream as truncated because its final event never came.
  parser.feed(decoder.decode());
  if (batch.length > 0) yield batch;
}

/**
 * A provider's streamed events, a batch per network read. `toEvent` turns one server-sent event
 * into the provider's event, returns undefined to skip it, {@link END_OF_STREAM} to end the
 * stream there (the body is released, not read to its end), or throws (an error event, bad JSON).
 * The events of the read before a throw are delivered first, as the SDKs' per-event iterators
 * would have yielded them, and then the error is thrown. A read whose events were all skipped
 * (pings, comments) gives an empty batch, so the reader knows the provider is alive.
 */
export async function* readProviderEvents<E>(
  response: Response,
  toEvent: (sse: ServerSentEvent) => E | typeof END_OF_STREAM | undefined,
): AsyncGenerator<E[]> {
  if (response.body === null) throw new MalformedStreamError('the streamed response has no body');
  for await (const batch of readEventBatches(response.body)) {
    const events: E[] = [];
    let failed = false;
    let failure: unknown;
    let ended = false;
    for (const sse of batch) {
      try {
        const event = toEvent(sse);
        if (event === END_OF_STREAM) {
          ended = true;
          break;
        }
        if (event !== undefined) events.push(event);
      } catch (err) {
        failed = true;
        failure = err;
        break;
      }
    }
    yield events;
    if (failed) throw failure;
    // Returning from the loop cancels the body: a server that keeps it open cannot hold us.
    if (ended) return;
  }
}
