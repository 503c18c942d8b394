// Diagnostics preload for the session benches: records every GC (start, duration, kind, flags)
// and every event-loop stall over 4 ms (a 1 ms timer that fired late) of the thread it runs
// in, and writes them as JSON to $SYLK_TRACE_PAUSES_DIR/<pid>-<main|w<threadId>>.json. Worker
// threads inherit the preload, so sylkd's stream and checkpoint threads are traced too. Times
// are wall-clock ms, comparable with event `ts` and the relay bench's receipt times:
//   SYLK_TRACE_PAUSES_DIR=/tmp/pauses SYLK_BENCH_NODE_ARGS="--import ./test/bench/lib/trace-pauses.mjs" \
//     node --import ./test/bench/lib/trace-pauses.mjs test/bench/run.mjs relay
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.SYLK_TRACE_PAUSES_DIR;
if (dir) {
  const entries = [];
  const wall = (t) => performance.timeOrigin + t;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      entries.push({ at: wall(e.startTime), ms: e.duration, gc: e.detail?.kind, flags: e.detail?.flags });
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 4) entries.push({ at: wall(last), ms: now - last, stall: true });
    last = now;
  }, 1).unref();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}-${isMainThread ? 'main' : `w${threadId}`}.json`);
  const dump = () => writeFileSync(file, JSON.stringify(entries));
  setInterval(dump, 2_000).unref();
  process.on('exit', dump);
}
