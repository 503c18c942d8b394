// Audit log throughput: records appended through the real writer (canonical serialisation,
// SHA-256 chaining, an Ed25519 signature every 100 entries, 1,000-entry batches each written with
// one write + fdatasync to a real file), and the full verification of the result (every entry's
// hash, sequence, links and every signature). Medians over several runs.
//
// The rates are wall-clock (what the targets judge). The same work divided by the CPU time the
// process used (user + system, all its threads) is reported beside them: on a shared, overloaded
// machine it shows what the code costs when it gets the CPU.
//
// Imports the built package: `npx turbo run build --filter=@sylk/security`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, round } from './stats.mjs';

const ENTRIES = 200_000;
const RUNS = 5;

async function load() {
  try {
    const security = await import('@sylk/security');
    const core = await import('@sylk/core');
    return { ...security, ...core };
  } catch (err) {
    throw new Error(
      `cannot load the built @sylk/security: run \`npx turbo run build --filter=@sylk/security\` first (${err.message})`,
    );
  }
}

/** What a process-exit record looks like in a session (a realistic size: ~450 bytes a line). */
const record = (i) => ({
  category: 'process',
  action: 'process_exit',
  target: `npm test -- --shard=${i % 16}/16`,
  outcome: '0',
  sessionId: 's_01m97c7162nqwzj73n5zw4ytj3',
  projectId: 'f77734c7e24fa78b',
  details: { pid: 10_000 + (i % 50_000), exitCode: 0, durationMs: 1234, background: false, id: `run_${i}` },
});

export default async function run() {
  const { AuditLog, verifyAuditLog, silentLogger, systemClock } = await load();
  const appendRates = [];
  const verifyRates = [];
  const appendCpuRates = [];
  const verifyCpuRates = [];
  const cpuSeconds = (since) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1e6;
  };
  let files = 0;
  let signatures = 0;
  for (let r = 0; r < RUNS; r++) {
    const base = mkdtempSync(join(tmpdir(), 'sylk-bench-audit-'));
    const dir = join(base, 'audit');
    try {
      const log = await AuditLog.open({
        dir,
        rotateBytes: 100 * 1024 * 1024,
        signatureInterval: 100,
        clock: systemClock,
        logger: silentLogger(),
      });
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < ENTRIES; i++) {
        log.record(record(i));
        // Let batches drain as they fill, as the event loop does between callers in the daemon.
        if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
      }
      await log.close();
      appendRates.push(ENTRIES / ((performance.now() - t0) / 1000));
      appendCpuRates.push(ENTRIES / cpuSeconds(c0));
      if (log.stats().written !== ENTRIES) throw new Error(`wrote ${log.stats().written} of ${ENTRIES}`);

      const t1 = performance.now();
      const c1 = process.cpuUsage();
      const report = await verifyAuditLog({ dir });
      verifyRates.push(report.entries / ((performance.now() - t1) / 1000));
      verifyCpuRates.push(report.entries / cpuSeconds(c1));
      if (!report.ok || report.entries !== ENTRIES)
        throw new Error(`verify: ${JSON.stringify(report.problems.slice(0, 3))}`);
      files = report.files;
      signatures = report.signatures;
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  const metrics = {
    append_per_s: Math.round(median(appendRates)),
    verify_per_s: Math.round(median(verifyRates)),
    append_per_cpu_s: Math.round(median(appendCpuRates)),
    verify_per_cpu_s: Math.round(median(verifyCpuRates)),
  };
  const targets = { append_per_s: '>= 50000', verify_per_s: '>= 200000' };
  const met = metrics.append_per_s >= 50_000 && metrics.verify_per_s >= 200_000;
  const summary =
    `${ENTRIES} entries per run, ${RUNS} runs: append ${metrics.append_per_s}/s (chained, signed every 100 → ${signatures} signatures, batched fdatasync; ` +
    `runs ${appendRates.map((x) => Math.round(x)).join(', ')}), ` +
    `verify ${metrics.verify_per_s}/s (runs ${verifyRates.map((x) => Math.round(x)).join(', ')}; ${files} file)` +
    `; per CPU second: append ${metrics.append_per_cpu_s}, verify ${metrics.verify_per_cpu_s}` +
    `; ${round(ENTRIES / metrics.append_per_s, 2)} s to write, ${round(ENTRIES / metrics.verify_per_s, 2)} s to verify`;
  return { summary, metrics, targets, met };
}
