// LLM gate overhead: the same requests through the full gate (queue, budget check, breaker,
// limiter, watchdog, accumulator, batched usage writes to a real system.db) and straight to an
// adapter whose transport answers instantly in-process. Reports the latency the gate adds and
// sustained requests/s with 1,000 requests in flight.
//
// Usage records also go to sylkd's metrics (daemon/dist/metrics), as in the daemon.
//
// Imports the built gate: `npx tsc -p packages/llm` (or point SYLK_GATE_DIST at a gate/index.js
// built elsewhere, e.g. with a scratch tsconfig while the rest of packages/llm does not compile),
// and the built daemon's metrics (`npx turbo run build --filter=@sylk/daemon`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { percentile, round } from './stats.mjs';
import { openSystemDb } from './lib/sylkd.mjs';

const SEQUENTIAL = 20_000;
const CONCURRENT = 1_000;
const THROUGHPUT_TOTAL = 200_000;

const chunks = [
  { type: 'start', model: 'bench-model' },
  { type: 'text', text: 'ok' },
  { type: 'usage', usage: { inputTokens: 12, outputTokens: 2 } },
  { type: 'stop', stopReason: 'end_turn' },
];

/** A ProviderAdapter whose "transport" yields a canned response without any I/O. */
const instantAdapter = {
  name: 'anthropic',
  async *stream() {
    for (const c of chunks) yield c;
  },
  async generate() {
    return {
      content: 'ok',
      model: 'bench-model',
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
      toolCalls: [],
    };
  },
  countTokens: () => 12,
  healthCheck: async () => ({ ok: true, latencyMs: 0 }),
  close: async () => {},
};

const model = {
  id: 'bench-model',
  provider: 'anthropic',
  contextWindow: 200_000,
  maxOutputTokens: 8_192,
  inputPrice: 3,
  outputPrice: 15,
};

const request = (i) => ({
  provider: 'anthropic',
  priority: 60,
  sessionId: `s${i % 8}`,
  taskId: `t${i % 32}`,
  agentType: 'engineer',
  request: { model: 'bench-model', messages: [{ role: 'user', content: 'hello' }], maxTokens: 64 },
});

/** The direct path does what a caller without the gate must do: iterate and keep the text. */
async function direct(req) {
  let text = '';
  for await (const c of instantAdapter.stream(req.request)) if (c.type === 'text') text += c.text;
  return text;
}

async function loadGate() {
  const url = process.env.SYLK_GATE_DIST
    ? pathToFileURL(process.env.SYLK_GATE_DIST).href
    : new URL('../../packages/llm/dist/gate/index.js', import.meta.url).href;
  try {
    return await import(url);
  } catch (err) {
    throw new Error(`cannot load the built gate at ${url}: run \`npx tsc -p packages/llm\` first (${err.message})`);
  }
}

/** A usage store that also records each attempt into sylkd's metrics, as the daemon's does. */
async function recordedUsageStore(UsageStore, db) {
  const dist = new URL('../../daemon/dist/metrics/', import.meta.url).href;
  let metrics;
  try {
    const [{ MetricsRegistry }, { GateMetrics }] = await Promise.all([
      import(`${dist}registry.js`),
      import(`${dist}gate-metrics.js`),
    ]);
    metrics = new GateMetrics(new MetricsRegistry());
  } catch (err) {
    throw new Error(`cannot load sylkd's metrics at ${dist}: build the daemon first (${err.message})`);
  }
  const logger = (await import('@sylk/core')).silentLogger();
  return new (class extends UsageStore {
    record(rec) {
      super.record(rec);
      metrics.recordUsage(rec);
    }
  })(db, { logger });
}

export default async function gateBench() {
  const { LLMGate, UsageStore } = await loadGate();
  const dir = mkdtempSync(join(tmpdir(), 'sylk-gate-bench-'));
  const db = await openSystemDb(dir);
  const gate = new LLMGate({
    usageStore: await recordedUsageStore(UsageStore, db),
    adapters: async () => instantAdapter,
    pricing: () => model,
    estimateTokens: () => 12,
    db,
    budgets: { global: { usd: 1e9 }, session: { usd: 1e6 }, task: { tokens: 1e12 } },
  });
  try {
    // Warm-up (JIT, statement caches).
    for (let i = 0; i < 2_000; i++) {
      await gate.submit(request(i));
      await direct(request(i));
    }

    // Sequential, interleaved: per-request latency through the gate vs straight to the adapter.
    const viaGate = [];
    const straight = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const req = request(i);
      let t = performance.now();
      await gate.submit(req);
      viaGate.push(performance.now() - t);
      t = performance.now();
      await direct(req);
      straight.push(performance.now() - t);
    }
    const p50Added = Math.max(0, percentile(viaGate, 50) - percentile(straight, 50));
    const p99Added = Math.max(0, percentile(viaGate, 99) - percentile(straight, 99));

    // Sustained throughput with CONCURRENT requests in flight.
    const txBefore = gate.usage.transactions;
    let started = 0;
    let finished = 0;
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      const launch = () => {
        const i = started++;
        gate.submit(request(i)).then(() => {
          finished++;
          if (started < THROUGHPUT_TOTAL) launch();
          else if (finished === THROUGHPUT_TOTAL) resolve();
        }, reject);
      };
      for (let i = 0; i < CONCURRENT; i++) launch();
    });
    const seconds = (performance.now() - t0) / 1000;
    const rps = THROUGHPUT_TOTAL / seconds;
    const transactions = gate.usage.transactions - txBefore;

    const metrics = {
      p50_added_ms: round(p50Added, 4),
      p99_added_ms: round(p99Added, 4),
      requests_per_s: Math.round(rps),
    };
    const targets = { p50_added_ms: '<= 0.1', p99_added_ms: '<= 1', requests_per_s: '>= 10000' };
    const met = metrics.p50_added_ms <= 0.1 && metrics.p99_added_ms <= 1 && metrics.requests_per_s >= 10_000;
    const summary =
      `added latency p50 ${metrics.p50_added_ms} ms, p99 ${metrics.p99_added_ms} ms ` +
      `(gate p50 ${round(percentile(viaGate, 50), 4)} ms ` +
      `vs direct ${round(percentile(straight, 50), 4)} ms); ` +
      `${metrics.requests_per_s} requests/s with ${CONCURRENT} in flight; ${THROUGHPUT_TOTAL} usage records in ${transactions} transactions`;
    return { summary, metrics, targets, met };
  } finally {
    await gate.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
