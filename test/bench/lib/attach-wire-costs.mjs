// Child of attach-wire.bench.mjs (run with a fixed young generation, see alloc.mjs): encodes
// and decodes the relay's typical Attach message both ways and prints the costs as JSON.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { costPerItem } from './alloc.mjs';
import { loadDist } from './sylkd.mjs';

const proto = await loadDist('packages/proto/dist/index.js');
const { useNodeTextEncoding } = await loadDist('packages/proto/dist/text-encoding.js');
useNodeTextEncoding(); // as sylkd and sylk run it

const PER_MESSAGE = 64; // events per message: what the daemon hands on per turn of its loop
const rows = Array.from({ length: PER_MESSAGE }, (_, i) => ({ seq: 1_000_000 + i, tsUnixMs: 1_764_000_000_000 + (i >> 3), kind: 'assistant_delta', dataJson: JSON.stringify({ text: 'ab' }) }));
const S = proto.AttachResponseSchema;
const asBatch = () => ({ msg: { case: 'batch', value: { events: rows.map((r) => ({ seq: BigInt(r.seq), tsUnixMs: BigInt(r.tsUnixMs), kind: r.kind, dataJson: r.dataJson })) } } });
const asColumns = () => ({ msg: { case: 'columns', value: proto.toEventColumns(rows) } });
const batchBytes = toBinary(S, create(S, asBatch()));
const columnsBytes = toBinary(S, create(S, asColumns()));
for (const bytes of [batchBytes, columnsBytes]) {
  if (JSON.stringify(proto.attachedEvents(fromBinary(S, bytes))) !== JSON.stringify(rows)) throw new Error('a form did not carry the rows unchanged');
}
const once = (fn) => () => (fn(), PER_MESSAGE);
const out = {
  encode_batch: await costPerItem(once(() => toBinary(S, create(S, asBatch())))),
  encode_columns: await costPerItem(once(() => toBinary(S, create(S, asColumns())))),
  decode_batch: await costPerItem(once(() => proto.attachedEvents(fromBinary(S, batchBytes)))),
  decode_columns: await costPerItem(once(() => proto.attachedEvents(fromBinary(S, columnsBytes)))),
  bytes_batch: batchBytes.length / PER_MESSAGE,
  bytes_columns: columnsBytes.length / PER_MESSAGE,
};
console.log(JSON.stringify(out));
