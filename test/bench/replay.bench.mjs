// Session replay: a new subscriber attaching to a 100,000-event session with from_seq 1 and
// reading it all from the session's SQLite event log (reopened, so nothing is in our memory).
//
// Imports the built package: `npx tsc -p packages/storage && npx tsc -p packages/sessions`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, round } from './stats.mjs';

const EVENTS = 100_000;
const RUNS = 5;

async function loadSessions() {
  const url = new URL('../../packages/sessions/dist/index.js', import.meta.url).href;
  try {
    return await import(url);
  } catch (err) {
    throw new Error(`cannot load ${url}: run \`npx tsc -p packages/storage && npx tsc -p packages/sessions\` first (${err.message})`);
  }
}

/** A mix shaped like a real session: mostly deltas, some tool output, a few larger messages. */
function eventFor(i) {
  if (i % 50 === 0) return ['assistant_message', { text: 'Here is what I changed and why. '.repeat(20), turn: i }];
  if (i % 10 === 0) return ['tool_output', { callId: `call_${i}`, stream: 'stdout', chunk: 'PASS src/a.test.ts\n'.repeat(4) }];
  return ['assistant_delta', { text: `token${i} ` }];
}

export default async function replayBench() {
  const { EventLog } = await loadSessions();
  const dir = mkdtempSync(join(tmpdir(), 'sylk-replay-bench-'));
  const path = join(dir, 'sessions', 's_bench', 'events.db');
  try {
    const writer = new EventLog({ path });
    for (let i = 0; i < EVENTS; i += 1_000) {
      const burst = [];
      for (let j = i; j < i + 1_000; j++) burst.push(writer.append(...eventFor(j)));
      await Promise.all(burst);
    }
    writer.close();

    const times = [];
    for (let run = 0; run < RUNS; run++) {
      const log = new EventLog({ path });
      const t0 = performance.now();
      let seen = 0;
      for await (const item of log.subscribe(1)) {
        if (item.type === 'resync' || item.seq !== ++seen) throw new Error(`replay out of order at ${seen}`);
        if (seen === EVENTS) break;
      }
      times.push((performance.now() - t0) / 1000);
      log.close();
    }
    const metrics = { seconds_100k: round(median(times), 3) };
    const targets = { seconds_100k: '<= 1' };
    const met = metrics.seconds_100k <= 1;
    const summary = `replayed ${EVENTS} events to a new subscriber in ${metrics.seconds_100k} s (median of ${RUNS}; runs ${times.map((t) => round(t, 3)).join(', ')} s)`;
    return { summary, metrics, targets, met };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
