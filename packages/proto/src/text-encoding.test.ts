import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { getTextEncoding } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { ReadEventsResponseSchema } from './gen/sylk/v1/session_pb.js';
import { useNodeTextEncoding } from './text-encoding.js';

describe('Node text encoding for protobuf-es', () => {
  it('round-trips strings of every width through session events', () => {
    useNodeTextEncoding();
    const texts = ['', 'plain', 'ünïcödé', '日本語のテキスト', 'emoji 😀🚀', 'x'.repeat(10_000)];
    const decoded = texts.map((t, i) => {
      const event = {
        seq: BigInt(i + 1),
        tsUnixMs: 1n,
        kind: 'assistant_delta',
        dataJson: JSON.stringify({ text: t }),
      };
      const back = fromBinary(
        ReadEventsResponseSchema,
        toBinary(ReadEventsResponseSchema, create(ReadEventsResponseSchema, { event })),
      );
      return (JSON.parse(back.event?.dataJson ?? '{}') as { text: string }).text;
    });
    expect(decoded).toEqual(texts);
  });

  it('decodes leniently by default and strictly when asked, as protobuf-es specifies', () => {
    useNodeTextEncoding();
    const invalid = new Uint8Array([0x61, 0xff, 0x62]);
    expect(getTextEncoding().decodeUtf8(invalid)).toBe('a\uFFFDb');
    expect(() => getTextEncoding().decodeUtf8(invalid, true)).toThrow();
    expect(getTextEncoding().checkUtf8('a\uD800b')).toBe(false);
    // A pooled Buffer is a view into a shared slab: the bytes must be exactly the string's.
    expect([...getTextEncoding().encodeUtf8('é!')]).toEqual([0xc3, 0xa9, 0x21]);
  });
});
