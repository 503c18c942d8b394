import { describe, expect, it } from 'vitest';
import { parseMessageEvent } from './anthropic-events.js';

const delta = (index: unknown, text: unknown) =>
  JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });

describe('parseMessageEvent', () => {
  it('reads exactly what JSON.parse reads, for text deltas and every other shape', () => {
    const texts = [
      '',
      'ab',
      ' ',
      'héllo wörld',
      '😀 emoji',
      'a "quote"',
      'back\\slash',
      'new\nline',
      'tab\t',
      '\u0001',
      '\u2028',
      '}}"',
      '"}}',
      '{"type"',
    ];
    const samples = [
      ...texts.map((t) => delta(0, t)),
      ...[1, 7, 12, 123456789, 1234567890].map((i) => delta(i, 'x')),
      // Not the API's exact form: other key order, spacing, extra keys, other delta kinds, other events.
      '{"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}',
      '{"type":"content_block_delta", "index":0,"delta":{"type":"text_delta","text":"x"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","extra":1}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}} ',
      '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"x"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":"}}',
      '{"type":"message_stop"}',
      '{"type":"content_block_delta","index":-1,"delta":{"type":"text_delta","text":"x"}}',
      '{"type":"content_block_delta","index":1.5,"delta":{"type":"text_delta","text":"x"}}',
    ];
    for (const data of samples) expect(parseMessageEvent(data), data).toEqual(JSON.parse(data));
  });

  it('fails on what JSON.parse fails on, even when it looks like a text delta', () => {
    const broken = [
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"raw\u0001control"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"un"quoted"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bad\\escape"}}',
      '{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"x"}}',
      '{"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"x"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_',
    ];
    for (const data of broken) expect(() => parseMessageEvent(data), data).toThrow(SyntaxError);
  });
});
