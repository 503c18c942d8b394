// `sylk status` against a running daemon, whole-process wall time, next to `node -e 0`.
// Target: at most 2.5× the bare Node start. Medians of interleaved runs.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

function time(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

export default async function run() {
  const home = mkdtempSync(join(tmpdir(), 'sylk-bench-'));
  const env = { PATH: process.env.PATH, HOME: home, SYLK_HOME: home, SYLK_SOCKET: join(home, 'run', 'sylkd.sock'), NO_COLOR: '1' };
  const daemon = spawn(process.execPath, [join(root, 'daemon/dist/main.js'), '--foreground'], { env, stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !existsSync(env.SYLK_SOCKET); i++) await new Promise((r) => setTimeout(r, 50));
    const cli = [join(root, 'cli/bin/sylk.cjs'), 'status', '--no-autostart'];
    for (let i = 0; i < 3; i++) {
      time(cli, env);
      time(['-e', '0'], env);
    }
    const sylk = [];
    const node = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(time(['-e', '0'], env));
      sylk.push(time(cli, env));
    }
    const sylkMs = median(sylk);
    const nodeMs = median(node);
    const ratio = sylkMs / nodeMs;
    return {
      summary: `sylk status ${round(sylkMs, 1)} ms vs node -e 0 ${round(nodeMs, 1)} ms (median of ${RUNS}) = ${round(ratio, 2)}× (target ≤ 2.5×)`,
      metrics: { sylk_status_ms: round(sylkMs, 2), node_ms: round(nodeMs, 2), ratio_to_node: round(ratio, 3) },
      targets: { ratio_to_node: '<= 2.5' },
      met: ratio <= 2.5,
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}
