import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';

// Nearly every event of a Messages stream is a text delta, and the API writes them all alike:
//   {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}
// JSON.parse builds that through V8's generic parser and internalizes every short value, which
// made it the largest part of reading a stream. A delta in exactly that form, whose text
// needs no unescaping, is read with two string comparisons and a slice; anything else, escaped
// text included, goes through JSON.parse as before.
const HEAD = '{"type":"content_block_delta","index":';
const MIDDLE = ',"delta":{"type":"text_delta","text":"';
const TAIL = '"}}';
/** Text that JSON.parse would return unchanged: no quote, backslash or control character. */
const LITERAL = /^[^"\\\u0000-\u001f]*$/;
const MAX_INDEX_DIGITS = 9;

/** One Messages stream event from its SSE data; throws a SyntaxError when it is not JSON. */
export function parseMessageEvent(data: string): RawMessageStreamEvent {
  return plainTextDelta(data) ?? (JSON.parse(data) as RawMessageStreamEvent);
}

function plainTextDelta(data: string): RawMessageStreamEvent | undefined {
  if (!data.startsWith(HEAD) || !data.endsWith(TAIL)) return undefined;
  let at = HEAD.length;
  let index = 0;
  for (; at < data.length && at - HEAD.length <= MAX_INDEX_DIGITS; at++) {
    const digit = data.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) break;
    index = index * 10 + digit;
  }
  const digits = at - HEAD.length;
  // JSON numbers have no leading zeros ("01" is invalid), so only "0" itself may start with one.
  if (digits === 0 || digits > MAX_INDEX_DIGITS || (digits > 1 && data.charCodeAt(HEAD.length) === 48))
    return undefined;
  if (!data.startsWith(MIDDLE, at)) return undefined;
  const start = at + MIDDLE.length;
  const end = data.length - TAIL.length;
  if (end < start) return undefined;
  const text = data.slice(start, end);
  if (!LITERAL.test(text)) return undefined;
  return { type: 'content_block_delta', index, delta: { type: 'text_delta', text } };
}
