import { isUtf8 } from 'node:buffer';
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

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Consecutive events as an EventColumns message (the layout is in session.proto), or undefined
 * when two consecutive timestamps are too far apart for its steps: send those as an EventBatch.
 * The rows must be in seq order without a gap (what a session log's subscription yields);
 * anything else is a bug in the caller and throws rather than renumbering events.
 */
export function toEventColumns(rows: readonly EventRow[]): MessageInitShape<typeof EventColumnsSchema> | undefined {
  const n = rows.length;
  const firstSeq = rows[0]?.seq ?? 0;
  const firstTs = rows[0]?.tsUnixMs ?? 0;
  const tsStepMs = new Array<number>(n);
  const kindIndex = new Array<number>(n);
  const kinds: string[] = [];
  let data = '';
  let previousTs = firstTs;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.seq !== firstSeq + i) throw new Error(`event columns need consecutive seqs: ${row.seq} follows ${firstSeq + i - 1}`);
    const step = row.tsUnixMs - previousTs;
    if (!Number.isInteger(step) || step < INT32_MIN || step > INT32_MAX) return undefined;
    tsStepMs[i] = step;
    previousTs = row.tsUnixMs;
    let k = kinds.indexOf(row.kind);
    if (k < 0) k = kinds.push(row.kind) - 1;
    kindIndex[i] = k;
    data += row.dataJson;
  }
  const dataJson = Buffer.from(data, 'utf8');
  // All ASCII (the usual case): each body's byte length is its string length.
  const dataJsonBytes = dataJson.length === data.length ? rows.map((r) => r.dataJson.length) : rows.map((r) => Buffer.byteLength(r.dataJson, 'utf8'));
  return { firstSeq: BigInt(firstSeq), firstTsUnixMs: firstTs, tsStepMs, kinds, kindIndex, dataJson, dataJsonBytes };
}

function malformed(what: string): SylkError {
  return new SylkError(`malformed EventColumns from sylkd: ${what}`, {
    code: 'protocol.malformed_event_columns',
    hint: 'sylk and sylkd disagree about the protocol; `sylk daemon restart` runs the installed sylkd',
  });
}

/** The rows an EventColumns message carries; a message whose columns do not fit together is refused. */
export function fromEventColumns(columns: EventColumns): EventRow[] {
  const { tsStepMs, kinds, kindIndex, dataJson, dataJsonBytes } = columns;
  const n = tsStepMs.length;
  if (kindIndex.length !== n || dataJsonBytes.length !== n) {
    throw malformed(`${n} timestamps, ${kindIndex.length} kinds and ${dataJsonBytes.length} bodies`);
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += dataJsonBytes[i]!;
    if (kindIndex[i]! >= kinds.length) throw malformed(`event ${i} names kind ${kindIndex[i]} of ${kinds.length}`);
  }
  if (total !== dataJson.length) throw malformed(`bodies of ${total} bytes in ${dataJson.length}`);
  if (!isUtf8(dataJson)) throw malformed('bodies are not UTF-8');
  const text = Buffer.from(dataJson.buffer, dataJson.byteOffset, dataJson.byteLength).toString('utf8');
  // All ASCII: bytes and characters line up, so the bodies are slices of one string.
  const ascii = text.length === dataJson.length;
  const first = Number(columns.firstSeq);
  const rows = new Array<EventRow>(n);
  let ts = columns.firstTsUnixMs;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    ts += tsStepMs[i]!;
    const end = offset + dataJsonBytes[i]!;
    let body: string;
    if (ascii) body = text.slice(offset, end);
    else {
      try {
        body = strictUtf8.decode(dataJson.subarray(offset, end));
      } catch {
        throw malformed(`body ${i} splits a character`);
      }
    }
    rows[i] = { seq: first + i, tsUnixMs: ts, kind: kinds[kindIndex[i]!]!, dataJson: body };
    offset = end;
  }
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
