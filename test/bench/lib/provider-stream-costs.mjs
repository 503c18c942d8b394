// Child of provider-stream.bench.mjs (fixed young generation, see alloc.mjs): reads the
// emulator's Anthropic stream of two-character deltas through the SDK's own stream iterator,
// and through sylk's adapter (SDK request, sse.ts body reader, driveStream, mapper), in-thread.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { costPerItem } from './alloc.mjs';
import { loadDist, root, startEmulatorProcess } from './sylkd.mjs';

const DELTAS = 50_000;
const KEY = 'bench-key';
const { createAdapter } = await loadDist('packages/llm/dist/index.js');
const { default: Anthropic } = await import(
  createRequire(join(root, 'packages/llm/package.json')).resolve('@anthropic-ai/sdk')
);
const dir = mkdtempSync(join(tmpdir(), 'sylk-provider-stream-bench-'));
const emulator = await startEmulatorProcess(
  {
    name: 'provider-stream',
    apiKey: KEY,
    defaults: { chunkSize: 2, delayMs: 0 },
    steps: [{ times: 1000, reply: { text: 'ab'.repeat(DELTAS), usage: { input: 1, output: DELTAS } } }],
  },
  dir,
);
try {
  const model = 'claude-opus-4-6';
  const sdk = new Anthropic({ apiKey: KEY, baseURL: emulator.url, maxRetries: 0, logLevel: 'off' });
  const adapter = createAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: emulator.url });
  const sdkIterator = async () => {
    let n = 0;
    for await (const ev of await sdk.messages.create({
      model,
      max_tokens: DELTAS * 2,
      stream: true,
      messages: [{ role: 'user', content: 'go' }],
    }))
      if (ev.type === 'content_block_delta') n++;
    if (n !== DELTAS) throw new Error(`SDK read ${n} deltas`);
    return n;
  };
  const sylkAdapter = async () => {
    let n = 0;
    for await (const c of adapter.stream({ model, messages: [{ role: 'user', content: 'go' }] }))
      if (c.type === 'text') n++;
    if (n !== DELTAS) throw new Error(`adapter read ${n} deltas`);
    return n;
  };
  const opts = { minItems: 4 * DELTAS };
  console.log(
    JSON.stringify({ sdk: await costPerItem(sdkIterator, opts), adapter: await costPerItem(sylkAdapter, opts) }),
  );
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
