import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * The largest young generation a thread started after start-up reaches, in MB, measured in a
 * fresh process over the built module (the test command builds first), after startCompact and endCompact. The thread asks for an
 * 8 MB young generation in its resource limits and allocates in bursts.
 */
function laterThreadYoungMb(nodeArgs: string[]): number {
  const module = JSON.stringify(new URL('../dist/v8-flags.js', import.meta.url).pathname);
  const script = `
    import { Worker } from 'node:worker_threads';
    import { endCompact, startCompact } from ${module};
    startCompact();
    endCompact(process.execArgv);
    const code = \`
      import { getHeapSpaceStatistics } from 'node:v8';
      import { parentPort } from 'node:worker_threads';
      let keep = [];
      for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20000) keep = []; }
      const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      parentPort.postMessage(young);\`;
    const worker = new Worker(code, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    worker.on('message', (bytes) => { process.stdout.write(String(bytes / 1048576)); process.exit(0); });
  `;
  const run = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return Number(run.stdout);
}

describe('start-up flags', () => {
  it('leave threads started later their own young generation', () => {
    // Without endCompact, what --optimize-for-size leaves behind caps the thread at 2 MB on the V8
    // of Node 20 and 22; later V8s cap it less and not steadily, so only the fix is asserted (the
    // next test shows the measurement sees a capped young generation).
    expect(laterThreadYoungMb([])).toBeGreaterThanOrEqual(6);
  });

  it('keep a --max-semi-space-size given on the command line', () => {
    expect(laterThreadYoungMb(['--max-semi-space-size=2'])).toBeLessThanOrEqual(4);
  });
});
