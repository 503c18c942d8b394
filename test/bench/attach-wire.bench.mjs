// What one relayed event costs on the Attach wire, in sylkd (encode) and in sylk (decode):
// EventBatch (a SessionEvent message per event) against EventColumns (session.proto), for the
// relay's typical message: 64 two-character assistant deltas. CPU ns and KB of garbage per event
// (lib/alloc.mjs says how garbage is read), and bytes per event on the wire. The garbage is what
// sets the young-generation pauses that the relay's p99 is made of (docs/benchmarks.md).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFixedYoungGen } from './lib/alloc.mjs';

export default async function attachWireBench() {
  const c = runFixedYoungGen(join(dirname(fileURLToPath(import.meta.url)), 'lib', 'attach-wire-costs.mjs'));
  const metrics = {
    encode_batch_ns: c.encode_batch.ns,
    encode_columns_ns: c.encode_columns.ns,
    decode_batch_ns: c.decode_batch.ns,
    decode_columns_ns: c.decode_columns.ns,
    encode_batch_kb: c.encode_batch.kb,
    encode_columns_kb: c.encode_columns.kb,
    decode_batch_kb: c.decode_batch.kb,
    decode_columns_kb: c.decode_columns.kb,
    bytes_batch: Math.round(c.bytes_batch * 10) / 10,
    bytes_columns: Math.round(c.bytes_columns * 10) / 10,
  };
  const ratio = (a, b) => (a / b).toFixed(1);
  const summary =
    `per relayed event, EventColumns vs EventBatch (64 deltas per message): encode ${metrics.encode_columns_ns} vs ${metrics.encode_batch_ns} ns ` +
    `(${ratio(metrics.encode_batch_ns, metrics.encode_columns_ns)}× less), ${metrics.encode_columns_kb} vs ${metrics.encode_batch_kb} KB garbage; ` +
    `decode ${metrics.decode_columns_ns} vs ${metrics.decode_batch_ns} ns (${ratio(metrics.decode_batch_ns, metrics.decode_columns_ns)}× less), ` +
    `${metrics.decode_columns_kb} vs ${metrics.decode_batch_kb} KB; ${metrics.bytes_columns} vs ${metrics.bytes_batch} bytes on the wire`;
  return { summary, metrics, targets: { encode_columns_ns: 'report', decode_columns_ns: 'report' }, met: true };
}
