// The former relay bench, kept as an in-process reference figure: events appended to an EventLog
// (group commit into a real SQLite file) and received by a subscriber in the same process.
// No daemon, no agent loop, no gRPC — what the sessions package alone can do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from '../stats.mjs';
import { loadDist } from './sylkd.mjs';

const THROUGHPUT_EVENTS = 200_000;
const BURST = 250;
const STEADY_EVENTS = 100_000;
const STEADY_RATE = 50_000;
const MAX_PER_TICK = 500;

const delta = (i) => ({ t: performance.now(), text: `token ${i} `, index: i });

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
    const sub = log.subscribe(1);
    const t0 = performance.now();
    const received = consume(sub, THROUGHPUT_EVENTS);
    for (let i = 0; i < THROUGHPUT_EVENTS; i += BURST) {
      const burst = [];
      for (let j = i; j < i + BURST; j++) burst.push(log.append('assistant_delta', delta(j)));
      await Promise.all(burst);
    }
    return THROUGHPUT_EVENTS / (((await received) - t0) / 1000);
  } finally {
    logs.unload(id);
  }
}

async function steady(logs, id) {
  const log = logs.get(id);
  try {
    const latencies = [];
    const received = consume(log.subscribe(1), STEADY_EVENTS, latencies);
    const t0 = performance.now();
    let sent = 0;
    while (sent < STEADY_EVENTS) {
      const due = Math.min(
        STEADY_EVENTS,
        sent + MAX_PER_TICK,
        Math.floor(((performance.now() - t0) * STEADY_RATE) / 1000),
      );
      for (; sent < due; sent++) void log.append('assistant_delta', delta(sent));
      await new Promise((r) => setTimeout(r, 1));
    }
    await received;
    return latencies;
  } finally {
    logs.unload(id);
  }
}

/** `{ eventsPerS, p50Ms, p99Ms }` of the sessions package alone (append → in-process subscriber). */
export async function packageRelay() {
  const { EventLogs } = await loadDist('packages/sessions/dist/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'sylk-relay-pkg-'));
  const logs = new EventLogs({ dataDir: dir });
  try {
    await throughput(logs, 's_warmup');
    const eventsPerS = await throughput(logs, 's_throughput');
    const latencies = await steady(logs, 's_steady');
    return { eventsPerS, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  } finally {
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
