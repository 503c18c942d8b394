// Output handling throughput and memory (issue "Tool execution layer").
// mb_per_s: the output handler itself, in-process: 200 MB of compiler-like text (with errors,
// warnings, file:line:col lines and stack frames) fed in 64 KiB chunks to OutputCapture with an
// onLine consumer and the raw spool on disk, then truncateForModel. Also reported (not a target):
// end to end through ToolExecutor with a child printing 200 MB of lines.
// peak_rss_mb: peak RSS of this process during the end-to-end run.
import { mkdtempSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputCapture, ToolExecutor, truncateForModel } from '../../packages/tools/dist/index.js';
import { round } from './stats.mjs';
import { compilerOutputChunks } from './lib/compiler-output.mjs';

const TOTAL = 200 * 1024 * 1024;

async function handlerThroughput(dir) {
  const chunks = compilerOutputChunks();
  let lines = 0;
  const capture = new OutputCapture({ id: 'bench', spoolDir: dir, onLine: () => lines++ });
  const t = performance.now();
  let fed = 0;
  for (let i = 0; fed < TOTAL; i++) {
    const chunk = chunks[i % chunks.length];
    if (!capture.push(chunk, 'stdout')) await new Promise((resolve) => capture.onDrain(resolve));
    fed += chunk.length;
  }
  const out = await capture.finish();
  const view = truncateForModel(out);
  const seconds = (performance.now() - t) / 1000;
  return { mbPerS: fed / 1e6 / seconds, lines, view };
}

async function endToEnd(dir) {
  const exec = new ToolExecutor({ roots: [dir], baseEnv: process.env, spoolDir: join(dir, 'spool') });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t = performance.now();
  const result = await exec.run(
    `yes 'src/a.ts:1:2 compiling module with a reasonably long line of output' | head -c ${TOTAL}`,
    {
      cwd: dir,
      onLine: () => {},
    },
  );
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { mbPerS: result.output.totalBytes / 1e6 / seconds, peakMb: peak / 1e6 };
}

export default async function outputBench() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-bench-output-')));
  try {
    const handler = await handlerThroughput(dir);
    const e2e = await endToEnd(dir);
    const metrics = {
      mb_per_s: round(handler.mbPerS, 0),
      peak_rss_mb: round(e2e.peakMb, 0),
      e2e_mb_per_s: round(e2e.mbPerS, 0),
    };
    const targets = { mb_per_s: '>= 200', peak_rss_mb: '<= 200' };
    return {
      summary:
        `handler ${metrics.mb_per_s} MB/s over ${round(TOTAL / 1e6, 0)} MB (${handler.lines} lines, ${handler.view.summary}); ` +
        `end to end via a child ${metrics.e2e_mb_per_s} MB/s, peak RSS ${metrics.peak_rss_mb} MB`,
      metrics,
      targets,
      met: handler.mbPerS >= 200 && e2e.peakMb <= 200,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
