// What one relayed event costs on the Attach wire (EventColumns, session.proto), in sylkd
// (encode) and in sylk (decode), for the relay's typical message: 64 two-character assistant
// deltas. CPU ns and KB of garbage per event (lib/alloc.mjs says how garbage is read), and bytes
// per event on the wire. The garbage is what sets the young-generation pauses that the relay's
// p99 is made of (docs/decisions/002-attach-event-columns.md).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFixedYoungGen } from './lib/alloc.mjs';

export default async function attachWireBench() {
  const c = runFixedYoungGen(join(dirname(fileURLToPath(import.meta.url)), 'lib', 'attach-wire-costs.mjs'));
  const metrics = {
    encode_ns: c.encode.ns,
    decode_ns: c.decode.ns,
    encode_kb: c.encode.kb,
    decode_kb: c.decode.kb,
    bytes: Math.round(c.bytes * 10) / 10,
  };
  const summary =
    `per relayed event in EventColumns (64 deltas per message): encode ${metrics.encode_ns} ns, ${metrics.encode_kb} KB garbage; ` +
    `decode ${metrics.decode_ns} ns, ${metrics.decode_kb} KB; ${metrics.bytes} bytes on the wire`;
  return { summary, metrics, targets: { encode_ns: 'report', decode_ns: 'report' }, met: true };
}
