import type { MessageInitShape } from '@bufbuild/protobuf';
import { SylkError } from '@sylk/core';
import type { AttachResponse, EventColumns, EventColumnsSchema, SessionEvent } from './gen/sylk/v1/session_pb.js';

/** One session event as both ends of Attach hold it: numbers, not the wire's 64-bit integers. */
export interface EventRow {
  seq: number;
  tsUnixMs: number;
  kind: string;
  dataJson: string;
}

/**
 * Consecutive events in the columns of an EventColumns message. The rows must be in seq
 * order without a gap (what a session log's subscription yields); anything else is a bug in
 * the caller and throws rather than renumbering events.
 */
export function toEventColumns(rows: readonly EventRow[]): MessageInitShape<typeof EventColumnsSchema> {
  const first = rows[0]?.seq ?? 0;
  const tsUnixMs = new Array<number>(rows.length);
  const kind = new Array<string>(rows.length);
  const dataJson = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.seq !== first + i) throw new Error(`event columns need consecutive seqs: ${row.seq} follows ${first + i - 1}`);
    tsUnixMs[i] = row.tsUnixMs;
    kind[i] = row.kind;
    dataJson[i] = row.dataJson;
  }
  return { firstSeq: BigInt(first), tsUnixMs, kind, dataJson };
}

/** The rows an EventColumns message carries; a message whose columns disagree in length is refused. */
export function fromEventColumns(columns: EventColumns): EventRow[] {
  const n = columns.kind.length;
  if (columns.tsUnixMs.length !== n || columns.dataJson.length !== n) {
    throw new SylkError(`malformed EventColumns from sylkd: ${columns.tsUnixMs.length} timestamps, ${n} kinds and ${columns.dataJson.length} bodies`, {
      code: 'protocol.malformed_event_columns',
      hint: 'sylk and sylkd disagree about the protocol; `sylk daemon restart` runs the installed sylkd',
    });
  }
  const first = Number(columns.firstSeq);
  const rows = new Array<EventRow>(n);
  for (let i = 0; i < n; i++) rows[i] = { seq: first + i, tsUnixMs: columns.tsUnixMs[i]!, kind: columns.kind[i]!, dataJson: columns.dataJson[i]! };
  return rows;
}

function rowOf(e: SessionEvent): EventRow {
  return { seq: Number(e.seq), tsUnixMs: Number(e.tsUnixMs), kind: e.kind, dataJson: e.dataJson };
}

/** The events an Attach response carries, whichever of its three forms it uses; none for other messages. */
export function attachedEvents(response: AttachResponse): EventRow[] {
  const m = response.msg;
  if (m.case === 'columns') return fromEventColumns(m.value);
  if (m.case === 'batch') return m.value.events.map(rowOf);
  if (m.case === 'event') return [rowOf(m.value)];
  return [];
}
