import { isUtf8 } from 'node:buffer';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { SylkError } from '@sylk/core';
import type { AttachResponse, EventColumns, EventColumnsSchema } from './gen/sylk/v1/session_pb.js';

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
 * Consecutive events as EventColumns messages (the layout is in session.proto): one, unless two
 * consecutive timestamps are too far apart for a step, where a new message starts.
 * The rows must be in seq order without a gap (what a session log's subscription yields);
 * anything else is a bug in the caller and throws rather than renumbering events.
 */
export function toEventColumns(rows: readonly EventRow[]): MessageInitShape<typeof EventColumnsSchema>[] {
  const messages: MessageInitShape<typeof EventColumnsSchema>[] = [];
  if (rows.length === 0) return messages;
  let start = 0;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.seq !== rows[i - 1]!.seq + 1)
      throw new Error(`event columns need consecutive seqs: ${rows[i]!.seq} follows ${rows[i - 1]!.seq}`);
    const step = rows[i]!.tsUnixMs - rows[i - 1]!.tsUnixMs;
    if (!Number.isInteger(step) || step < INT32_MIN || step > INT32_MAX) {
      messages.push(columnsOf(rows, start, i));
      start = i;
    }
  }
  messages.push(columnsOf(rows, start, rows.length));
  return messages;
}

/** rows[from, to) as one message: consecutive seqs whose timestamp steps fit a sint32. */
function columnsOf(rows: readonly EventRow[], from: number, to: number): MessageInitShape<typeof EventColumnsSchema> {
  const n = to - from;
  const firstSeq = rows[from]!.seq;
  const firstTs = rows[from]!.tsUnixMs;
  const tsStepMs = new Array<number>(n);
  const kindIndex = new Array<number>(n);
  const kinds: string[] = [];
  let data = '';
  let previousTs = firstTs;
  for (let i = 0; i < n; i++) {
    const row = rows[from + i]!;
    tsStepMs[i] = row.tsUnixMs - previousTs;
    previousTs = row.tsUnixMs;
    let k = kinds.indexOf(row.kind);
    if (k < 0) k = kinds.push(row.kind) - 1;
    kindIndex[i] = k;
    data += row.dataJson;
  }
  const dataJson = Buffer.from(data, 'utf8');
  // All ASCII (the usual case): each body's byte length is its string length.
  const dataJsonBytes = new Array<number>(n);
  for (let i = 0; i < n; i++)
    dataJsonBytes[i] =
      dataJson.length === data.length
        ? rows[from + i]!.dataJson.length
        : Buffer.byteLength(rows[from + i]!.dataJson, 'utf8');
  return { firstSeq: BigInt(firstSeq), firstTsUnixMs: firstTs, tsStepMs, kinds, kindIndex, dataJson, dataJsonBytes };
}

function malformed(what: string): SylkError {
  return new SylkError(`malformed EventColumns from sylkd: ${what}`, {
    code: 'protocol.malformed_event_columns',
    hint: 'sylk and sylkd disagree about the protocol; `sylk daemon restart` runs the installed sylkd',
  });
}

/**
 * The rows an EventColumns message carries; a message whose columns do not fit together is refused.
 * @internal exported for tests
 */
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

/** The events an Attach response carries; none for other messages. */
export function attachedEvents(response: AttachResponse): EventRow[] {
  return response.msg.case === 'columns' ? fromEventColumns(response.msg.value) : [];
}
