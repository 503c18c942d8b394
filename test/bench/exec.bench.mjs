// Executor overhead and cancellation latency (issue "Tool execution layer").
// ratio_to_spawn: median wall time of ToolExecutor.run('true') (cwd check, env filter, slot,
// execa spawn in its own group, capture, group reap) over a bare child_process.spawn('true')
// with piped stdio, runs interleaved. recorded_added_ms: what sylkd's recorded path adds on top
// (processLog set, so each command is held by the spawn gate until recorded: one /bin/sh exec;
// the hooks here are no-ops, so the record's own fsync is not in it). cancel_to_gone_ms: abort() → result resolved with the
// process group gone, for a child that exits on SIGINT.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolExecutor, groupAlive } from '../../packages/tools/dist/index.js';
import { median, percentile, round } from './stats.mjs';

const RUNS = 300;
const CANCELS = 30;

function bareSpawn() {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - t));
  });
}

export default async function execBench() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-bench-exec-')));
  try {
    const exec = new ToolExecutor({ roots: [base], baseEnv: process.env, spoolDir: join(base, 'spool') });
    const processLog = { spawned: () => {}, exited: () => {} };
    const recordedExec = new ToolExecutor({
      roots: [base],
      baseEnv: process.env,
      spoolDir: join(base, 'spool'),
      processLog,
    });
    const timed = async (executor) => {
      const t = performance.now();
      await executor.run('true', { cwd: base });
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) {
      await bareSpawn();
      await timed(exec);
      await timed(recordedExec);
    }
    const bare = [];
    const ours = [];
    const recorded = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await bareSpawn());
      ours.push(await timed(exec));
      recorded.push(await timed(recordedExec));
    }
    const cancels = [];
    for (let i = 0; i < CANCELS; i++) {
      const controller = new AbortController();
      let abortedAt = 0;
      const result = await exec.run('echo ready; exec sleep 30', {
        cwd: base,
        signal: controller.signal,
        onLine: () => {
          abortedAt = performance.now();
          controller.abort();
        },
      });
      const gone = performance.now();
      if (groupAlive(result.pgid)) throw new Error('process group still alive after cancel');
      cancels.push(gone - abortedAt);
    }
    const ratio = median(ours) / median(bare);
    const cancelMs = median(cancels);
    const metrics = {
      ratio_to_spawn: round(ratio, 2),
      recorded_added_ms: round(median(recorded) - median(ours), 2),
      cancel_to_gone_ms: round(cancelMs, 1),
    };
    const targets = { ratio_to_spawn: '<= 1.5' };
    return {
      summary:
        `run('true') median ${round(median(ours), 3)} ms (p95 ${round(percentile(ours, 95), 3)}) vs bare spawn ${round(median(bare), 3)} ms ` +
        `→ ratio ${metrics.ratio_to_spawn} over ${RUNS} runs; recorded (gated) adds ${metrics.recorded_added_ms} ms; cancel → group gone median ${metrics.cancel_to_gone_ms} ms ` +
        `(p95 ${round(percentile(cancels, 95), 1)}) over ${CANCELS} cooperative children`,
      metrics,
      targets,
      met: ratio <= 1.5,
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
