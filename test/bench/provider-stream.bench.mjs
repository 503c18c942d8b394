// Reading a provider's stream, per event, on the thread that reads it (sylkd's main thread):
// the Anthropic SDK's own stream iterator against sylk's whole adapter stream (the SDK sends
// the request; sse.ts reads the body a network read at a time; driveStream and the mapper make
// the chunks). 50,000 two-character deltas per reply from the emulator, its own process.
// CPU ns and KB of garbage per event; lib/alloc.mjs says how garbage is read.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFixedYoungGen } from './lib/alloc.mjs';

export default async function providerStreamBench() {
  const c = runFixedYoungGen(join(dirname(fileURLToPath(import.meta.url)), 'lib', 'provider-stream-costs.mjs'));
  const metrics = {
    sdk_iterator_ns: c.sdk.ns,
    adapter_ns: c.adapter.ns,
    sdk_iterator_kb: c.sdk.kb,
    adapter_kb: c.adapter.kb,
  };
  const summary =
    `per streamed event (Anthropic, 2-character deltas): sylk's adapter ${metrics.adapter_ns} ns and ${metrics.adapter_kb} KB of garbage, ` +
    `the SDK's stream iterator alone ${metrics.sdk_iterator_ns} ns and ${metrics.sdk_iterator_kb} KB ` +
    `(${(metrics.sdk_iterator_ns / metrics.adapter_ns).toFixed(1)}× the time, ${(metrics.sdk_iterator_kb / metrics.adapter_kb).toFixed(1)}× the garbage)`;
  return { summary, metrics, targets: { adapter_ns: 'report' }, met: true };
}
