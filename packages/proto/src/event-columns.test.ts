import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { fromEventColumns, toEventColumns, type EventRow } from './event-columns.js';
import { AttachResponseSchema, EventColumnsSchema } from './gen/sylk/v1/session_pb.js';
import { useNodeTextEncoding } from './text-encoding.js';

const rows: EventRow[] = [
  { seq: 41, tsUnixMs: 1_764_000_000_123, kind: 'user_input', dataJson: '{"text":"fix the test"}' },
  // Clocks step back (NTP): a later event may carry an earlier time, and it must arrive as it was stored.
  { seq: 42, tsUnixMs: 1_764_000_000_100, kind: 'assistant_delta', dataJson: '{"text":"ab"}' },
  { seq: 43, tsUnixMs: 1_764_000_000_100, kind: 'assistant_delta', dataJson: '{"text":"cd"}' },
  // A replayed batch can span weeks of history (up to 24.8 days between two events).
  { seq: 44, tsUnixMs: 1_766_000_000_000, kind: 'state_changed', dataJson: '{}' },
];
const unicode: EventRow[] = [
  { seq: 1, tsUnixMs: 1, kind: 'assistant_delta', dataJson: '{"text":"日本語 😀"}' },
  { seq: 2, tsUnixMs: 2, kind: 'assistant_delta', dataJson: '{"text":"é"}' },
  { seq: 3, tsUnixMs: 3, kind: 'assistant_delta', dataJson: '{"text":"plain"}' },
];

type ColumnsInit = MessageInitShape<typeof EventColumnsSchema>;

/** The one message `rows` make. */
function one(rows: EventRow[]): ColumnsInit {
  const messages = toEventColumns(rows);
  expect(messages).toHaveLength(1);
  return messages[0]!;
}

function roundTrip(value: ColumnsInit) {
  useNodeTextEncoding();
  const bytes = toBinary(AttachResponseSchema, create(AttachResponseSchema, { msg: { case: 'columns', value } }));
  const back = fromBinary(AttachResponseSchema, bytes);
  if (back.msg.case !== 'columns') throw new Error(`decoded ${back.msg.case}`);
  return back.msg.value;
}

const refused = (init: ColumnsInit, message: string) =>
  expect(() => fromEventColumns(create(EventColumnsSchema, init))).toThrow(
    expect.objectContaining({ code: 'protocol.malformed_event_columns', message: expect.stringContaining(message) }),
  );

describe('event columns', () => {
  it('carry consecutive events through the wire unchanged', () => {
    expect(fromEventColumns(roundTrip(one(rows)))).toEqual(rows);
    expect(fromEventColumns(roundTrip(one(unicode)))).toEqual(unicode);
    expect(toEventColumns([])).toEqual([]);
  });

  it('name each kind once and count bodies in UTF-8 bytes', () => {
    const c = one([...rows, { ...rows[1]!, seq: 45 }]);
    expect(c.kinds).toEqual(['user_input', 'assistant_delta', 'state_changed']);
    expect(c.kindIndex).toEqual([0, 1, 1, 2, 1]);
    expect(c.tsStepMs).toEqual([0, -23, 0, 1_999_999_900, -1_999_999_900]);
    expect(one(unicode).dataJsonBytes).toEqual([25, 13, 16]);
  });

  it('keep seqs beyond 2^32 and timestamps to the millisecond', () => {
    const far = rows.map((r, i) => ({ ...r, seq: 2 ** 40 + i }));
    expect(fromEventColumns(roundTrip(one(far)))).toEqual(far);
  });

  it('start a new message where two events are 2^31 ms or more apart', () => {
    const gap = 2 ** 31;
    for (const jump of [gap, -gap - 1]) {
      const later = rows[0]!.tsUnixMs + jump;
      const far = [rows[0]!, { ...rows[1]!, tsUnixMs: later }, { ...rows[2]!, tsUnixMs: later + 5 }];
      const messages = toEventColumns(far);
      expect(messages.map((m) => m.tsStepMs)).toEqual([[0], [0, 5]]);
      expect(messages.flatMap((m) => fromEventColumns(roundTrip(m)))).toEqual(far);
    }
    const edge = [rows[0]!, { ...rows[1]!, tsUnixMs: rows[0]!.tsUnixMs + gap - 1 }];
    expect(fromEventColumns(roundTrip(one(edge)))).toEqual(edge);
  });

  it('refuse rows with a gap or out of order instead of renumbering them', () => {
    expect(() => toEventColumns([rows[0]!, rows[2]!])).toThrow('event columns need consecutive seqs: 43 follows 41');
    expect(() => toEventColumns([rows[1]!, rows[0]!])).toThrow('consecutive seqs');
  });

  it('refuse a message whose columns do not fit together, saying how', () => {
    const good = one(unicode);
    refused({ ...good, kindIndex: [0, 0] }, '3 timestamps, 2 kinds and 3 bodies');
    refused({ ...good, kindIndex: [0, 1, 0] }, 'event 1 names kind 1 of 1');
    refused({ ...good, dataJsonBytes: [25, 13, 15] }, 'bodies of 53 bytes in 54');
    refused(
      { ...good, dataJson: Uint8Array.from([...(good.dataJson as Uint8Array).subarray(0, 53), 0xff]) },
      'not UTF-8',
    );
    // 😀 is bytes 19–22 of the first body.
    refused({ ...good, dataJsonBytes: [21, 17, 16] }, 'body 0 splits a character');
  });
});
