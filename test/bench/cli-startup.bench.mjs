// `sylk status` against a running daemon, whole-process wall time, next to `node -e 0`.
// Target: at most 2.5× the bare Node start; where the stack floor alone is above that, the
// CLI's own share over the floor at most 5 ms. Medians of interleaved runs.
// SYLK_BENCH_CLI_NODE=<node binary> runs the CLI (and node -e 0) on another Node line; the
// daemon stays on this one (its native modules are built for it).
import { spawnSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from './stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const CLI_NODE = process.env.SYLK_BENCH_CLI_NODE || process.execPath;

function time(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(CLI_NODE, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

/**
 * The floor of the CLI's stack: a bundle that only connects with @sylk/proto/client and calls
 * DaemonService.Status, built like the CLI (esbuild, CommonJS, minified) and run through the same
 * code-cache loader (a copy of cli/bin/sylk.cjs beside it). What `sylk status` costs above this
 * is the CLI's own; the rest is grpc-js, Node's http2 and protobuf-es.
 */
async function buildStackFloor(dir) {
  const { build } = await import('esbuild');
  await build({
    stdin: {
      contents: [
        "import { connect, createClient, unixTarget } from '@sylk/proto/client';",
        "import { DaemonService } from '@sylk/proto/daemon';",
        'const channel = connect(unixTarget(process.env.SYLK_SOCKET));',
        'createClient(DaemonService, channel).status({}).then(',
        '  (r) => { process.stdout.write(`${r.version}\\n`); channel.close(); },',
        '  (e) => { process.stderr.write(`${e.message}\\n`); process.exit(1); });',
      ].join('\n'),
      resolveDir: join(root, 'cli'),
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    logLevel: 'warning',
    outfile: join(dir, 'dist', 'sylk.cjs'),
    external: ['@grpc/proto-loader'],
  });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(root, 'cli/bin/sylk.cjs'), join(dir, 'bin', 'sylk.cjs'));
  return join(dir, 'bin', 'sylk.cjs');
}

export default async function run() {
  const home = mkdtempSync(join(tmpdir(), 'sylk-bench-'));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    SYLK_HOME: home,
    SYLK_SOCKET: join(home, 'run', 'sylkd.sock'),
    NO_COLOR: '1',
  };
  const daemon = spawn(process.execPath, [join(root, 'daemon/dist/main.js'), '--foreground'], { env, stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !existsSync(env.SYLK_SOCKET); i++) await new Promise((r) => setTimeout(r, 50));
    const cli = [join(root, 'cli/bin/sylk.cjs'), 'status', '--no-autostart'];
    const floor = [await buildStackFloor(join(home, 'floor'))];
    for (let i = 0; i < 3; i++) {
      time(cli, env);
      time(floor, env);
      time(['-e', '0'], env);
    }
    const sylk = [];
    const node = [];
    const stack = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(time(['-e', '0'], env));
      sylk.push(time(cli, env));
      stack.push(time(floor, env));
    }
    const sylkMs = median(sylk);
    const nodeMs = median(node);
    const floorMs = median(stack);
    const ratio = sylkMs / nodeMs;
    const floorRatio = floorMs / nodeMs;
    const ownMs = sylkMs - floorMs;
    // The same share from each round's pair (sylk and the floor run back to back): slow drift of the
    // machine's speed cancels out within a pair, so this one moves less from run to run.
    const pairedOwnMs = median(sylk.map((ms, i) => ms - stack[i]));
    const nodeVersion = spawnSync(CLI_NODE, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
    return {
      summary:
        `Node ${nodeVersion}: sylk status ${round(sylkMs, 1)} ms vs node -e 0 ${round(nodeMs, 1)} ms (median of ${RUNS}) = ${round(ratio, 2)}× (target ≤ 2.5×); ` +
        `stack floor (connect + Status only, same loader) ${round(floorMs, 1)} ms = ${round(floorRatio, 2)}×; ` +
        `the CLI's own ${round(ownMs, 1)} ms (target ≤ 5 where the floor is above 2.5×; median of the rounds' differences ${round(pairedOwnMs, 1)} ms)`,
      metrics: {
        node_version: nodeVersion,
        sylk_status_ms: round(sylkMs, 2),
        node_ms: round(nodeMs, 2),
        ratio_to_node: round(ratio, 3),
        stack_floor_ms: round(floorMs, 2),
        stack_floor_ratio: round(floorRatio, 3),
        cli_own_ms: round(ownMs, 2),
        cli_own_paired_ms: round(pairedOwnMs, 2),
      },
      targets: { ratio_to_node: '<= 2.5', cli_own_ms: '<= 5 where stack_floor_ratio > 2.5' },
      met: ratio <= 2.5 || (floorRatio > 2.5 && ownMs <= 5),
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}
