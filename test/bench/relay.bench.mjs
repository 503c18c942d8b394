// Session event relay: events appended to a session's event log (group commit into a real
// SQLite file) and received by an attached subscriber. Reports sustained events/s from append
// to subscriber (producer appending bursts as fast as it can), and the latency from the append
// call to receipt for a steady stream offered at the 50,000 events/s target rate.
//
// Imports the built package: `npx tsc -p packages/storage && npx tsc -p packages/sessions`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, round } from './stats.mjs';

const THROUGHPUT_EVENTS = 200_000;
const BURST = 250; // deltas a busy turn produces between two event-loop turns
const STEADY_EVENTS = 100_000;
const STEADY_RATE = 50_000; // events/s offered to measure latency at the target rate
const MAX_PER_TICK = 500;

async function loadSessions() {
  const url = new URL('../../packages/sessions/dist/index.js', import.meta.url).href;
  try {
    return await import(url);
  } catch (err) {
    throw new Error(`cannot load ${url}: run \`npx tsc -p packages/storage && npx tsc -p packages/sessions\` first (${err.message})`);
  }
}

const delta = (i) => ({ t: performance.now(), text: `token ${i} `, index: i });

/** Consumes `sub` until `lastSeq`, recording append→receipt latency from each event's `t`. */
async function consume(sub, lastSeq, latencies) {
  for await (const item of sub) {
    if (item.type === 'resync') throw new Error(`subscriber fell behind and was asked to resync from ${item.fromSeq}`);
    latencies?.push(performance.now() - item.data.t);
    if (item.seq >= lastSeq) return performance.now();
  }
  throw new Error('subscription ended early');
}

async function throughput(logs, id) {
  const log = logs.get(id);
  try {
    const latencies = [];
    const sub = log.subscribe(1);
    const t0 = performance.now();
    const received = consume(sub, THROUGHPUT_EVENTS, latencies);
    for (let i = 0; i < THROUGHPUT_EVENTS; i += BURST) {
      const burst = [];
      for (let j = i; j < i + BURST; j++) burst.push(log.append('assistant_delta', delta(j)));
      await Promise.all(burst);
    }
    const seconds = ((await received) - t0) / 1000;
    return { eventsPerS: THROUGHPUT_EVENTS / seconds, latencies };
  } finally {
    logs.unload(id);
  }
}

async function steady(logs, id) {
  const log = logs.get(id);
  try {
    const latencies = [];
    const received = consume(log.subscribe(1), STEADY_EVENTS, latencies);
    // Paced by elapsed time (timers are coarse), so the offered load really is STEADY_RATE.
    const t0 = performance.now();
    let sent = 0;
    while (sent < STEADY_EVENTS) {
      // A late timer must not turn into one huge catch-up burst: deltas arrive spread out.
      const due = Math.min(STEADY_EVENTS, sent + MAX_PER_TICK, Math.floor(((performance.now() - t0) * STEADY_RATE) / 1000));
      for (; sent < due; sent++) void log.append('assistant_delta', delta(sent));
      await new Promise((r) => setTimeout(r, 1));
    }
    await received;
    return { latencies, rate: STEADY_EVENTS / ((performance.now() - t0) / 1000) };
  } finally {
    logs.unload(id);
  }
}

export default async function relayBench() {
  const { EventLogs } = await loadSessions();
  const dir = mkdtempSync(join(tmpdir(), 'sylk-relay-bench-'));
  // As the daemon runs it: logs under {data}/sessions/<id>/, WAL checkpoints in a worker thread.
  const logs = new EventLogs({ dataDir: dir });
  try {
    await throughput(logs, 's_warmup'); // JIT and page cache
    const { eventsPerS, latencies: saturated } = await throughput(logs, 's_throughput');
    const { latencies, rate } = await steady(logs, 's_steady');
    const metrics = {
      events_per_s: Math.round(eventsPerS),
      p50_ms: round(percentile(latencies, 50), 3),
      p99_ms: round(percentile(latencies, 99), 3),
    };
    const targets = { events_per_s: '>= 50000', p50_ms: 'report', p99_ms: '<= 5' };
    const met = metrics.events_per_s >= 50_000 && metrics.p99_ms <= 5;
    const summary =
      `${metrics.events_per_s} events/s append→subscriber (${THROUGHPUT_EVENTS} events in bursts of ${BURST}; ` +
      `latency there p50 ${round(percentile(saturated, 50), 3)} ms, p99 ${round(percentile(saturated, 99), 3)} ms); ` +
      `steady stream at ${Math.round(rate)} events/s: append→receipt p50 ${metrics.p50_ms} ms, p99 ${metrics.p99_ms} ms`;
    return { summary, metrics, targets, met };
  } finally {
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
