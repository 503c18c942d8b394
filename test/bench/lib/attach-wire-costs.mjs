// Child of attach-wire.bench.mjs (run with a fixed young generation, see alloc.mjs): encodes
// and decodes the relay's typical Attach message and prints the costs as JSON.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { costPerItem } from './alloc.mjs';
import { loadDist } from './sylkd.mjs';

const proto = await loadDist('packages/proto/dist/index.js');
const { attachedEvents, toEventColumns } = await loadDist('packages/proto/dist/event-columns.js');
const { useNodeTextEncoding } = await loadDist('packages/proto/dist/text-encoding.js');
useNodeTextEncoding(); // as sylkd and sylk run it

const PER_MESSAGE = 64; // events per message: what the daemon hands on per turn of its loop
const rows = Array.from({ length: PER_MESSAGE }, (_, i) => ({
  seq: 1_000_000 + i,
  tsUnixMs: 1_764_000_000_000 + (i >> 3),
  kind: 'assistant_delta',
  dataJson: JSON.stringify({ text: 'ab' }),
}));
const S = proto.AttachResponseSchema;
const message = () => {
  const [value] = toEventColumns(rows);
  return { msg: { case: 'columns', value } };
};
const bytes = toBinary(S, create(S, message()));
if (JSON.stringify(attachedEvents(fromBinary(S, bytes))) !== JSON.stringify(rows))
  throw new Error('the message did not carry the rows unchanged');
const once = (fn) => () => (fn(), PER_MESSAGE);
const out = {
  encode: await costPerItem(once(() => toBinary(S, create(S, message())))),
  decode: await costPerItem(once(() => attachedEvents(fromBinary(S, bytes)))),
  bytes: bytes.length / PER_MESSAGE,
};
console.log(JSON.stringify(out));
