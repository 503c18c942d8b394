import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { fromEventColumns, toEventColumns, type EventRow } from './event-columns.js';
import { AttachResponseSchema, EventColumnsSchema } from './gen/sylk/v1/session_pb.js';
import { useNodeTextEncoding } from './text-encoding.js';

const rows: EventRow[] = [
  { seq: 41, tsUnixMs: 1_764_000_000_123, kind: 'user_input', dataJson: '{"text":"fix the test"}' },
  // Clocks step back (NTP): a later event may carry an earlier time, and it must arrive as it was stored.
  { seq: 42, tsUnixMs: 1_764_000_000_100, kind: 'assistant_delta', dataJson: '{"text":"日本語 😀"}' },
  // A replayed batch can span weeks of history.
  { seq: 43, tsUnixMs: 1_766_600_000_000, kind: 'assistant_delta', dataJson: '{}' },
];

function roundTrip(value: ReturnType<typeof toEventColumns>) {
  useNodeTextEncoding();
  const bytes = toBinary(AttachResponseSchema, create(AttachResponseSchema, { msg: { case: 'columns', value } }));
  const back = fromBinary(AttachResponseSchema, bytes);
  if (back.msg.case !== 'columns') throw new Error(`decoded ${back.msg.case}`);
  return back.msg.value;
}

describe('event columns', () => {
  it('carry consecutive events through the wire unchanged', () => {
    expect(fromEventColumns(roundTrip(toEventColumns(rows)))).toEqual(rows);
    expect(fromEventColumns(roundTrip(toEventColumns([])))).toEqual([]);
  });

  it('keep seqs beyond 2^32 and timestamps to the millisecond', () => {
    const far = rows.map((r, i) => ({ ...r, seq: 2 ** 40 + i }));
    expect(fromEventColumns(roundTrip(toEventColumns(far)))).toEqual(far);
  });

  it('refuse rows with a gap or out of order instead of renumbering them', () => {
    expect(() => toEventColumns([rows[0]!, rows[2]!])).toThrow('event columns need consecutive seqs: 43 follows 41');
    expect(() => toEventColumns([rows[1]!, rows[0]!])).toThrow('consecutive seqs');
  });

  it('refuse a message whose columns disagree in length, naming the counts', () => {
    const columns = create(EventColumnsSchema, { firstSeq: 1n, tsUnixMs: [1, 2], kind: ['a', 'b'], dataJson: ['{}'] });
    expect(() => fromEventColumns(columns)).toThrow(expect.objectContaining({ code: 'protocol.malformed_event_columns', message: expect.stringContaining('2 timestamps, 2 kinds and 1 bodies') }));
  });
});
