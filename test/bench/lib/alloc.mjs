// Cost per item of a piece of code: CPU time (of this process, so time spent waiting on another
// process is not counted, and GC helper threads are) and garbage. Garbage is read from the young
// generation: run in a child with a fixed 8 MiB semi-space (`runFixedYoungGen`), every scavenge
// means ~8 MiB allocated, so KB per item ≈ scavenges × 8 MiB / items. That counts what survives
// too, which for these loops is next to nothing.
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { median, round } from '../stats.mjs';

const SEMI_SPACE_MB = 8;

/** Runs `script` (a file that prints one JSON line) in a child whose young generation is fixed. */
export function runFixedYoungGen(script) {
  const r = spawnSync(
    process.execPath,
    [`--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`, script],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === 1) scavenges++; // NODE_PERFORMANCE_GC_MINOR
}).observe({ entryTypes: ['gc'] });

/**
 * Median over `rounds` of CPU ns and KB of garbage per item, for `fn` run until it has handled
 * `minItems`; `fn` returns how many items one call handled (and may be async).
 */
export async function costPerItem(fn, { minItems = 2_000_000, rounds = 3 } = {}) {
  const ns = [];
  const kb = [];
  for (let r = 0; r < rounds + 1; r++) {
    const before = scavenges;
    const cpu0 = process.cpuUsage();
    let items = 0;
    while (items < minItems) items += await fn();
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the GC entries arrive
    if (r === 0) continue; // warm-up
    ns.push((ms * 1e6) / items);
    kb.push(((scavenges - before) * SEMI_SPACE_MB * 1024) / items);
  }
  return { ns: round(median(ns), 0), kb: round(median(kb), 2) };
}
