// Cold start (issue 19). `serving_ms`: from spawning `sylkd --foreground` to a grpc.health.v1 Check
// answering SERVING, on a home with 100 sessions that each ran a real turn (a tool call and a reply,
// through a real sylkd against the emulator; that sylkd was then stopped cleanly, as at logout or an
// update). Median of RUNS; sylkd's CPU time up to that moment beside it. `first_task_extra_ms`: the
// demo's scripted task (`sylk run --yes` in a copy of cli/demo/project against cli/demo/scenario.yaml:
// read, run the tests with an approval, fix, re-run) with no daemon running, so the CLI starts sylkd,
// minus the same task with a warm daemon; cold and warm runs alternate, each on a fresh copy of the
// 100-session home; `daemon_start_ms` is `sylk daemon start` before each warm run (CLI, the
// daemonizing launcher, sylkd to ready). Targets: serving ≤ 150 ms, first task extra ≤ 300 ms.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { median, round } from './stats.mjs';
import {
  cpuMs,
  createSessionsAndWait,
  emulatorLlmConfig,
  loadDist,
  makeHome,
  root,
  sessionClient,
  startDaemon,
  startEmulatorProcess,
  writeConfig,
} from './lib/sylkd.mjs';

const SESSIONS = 100;
const PROJECTS = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TASK_RUNS = Number(process.env.BENCH_TASK_RUNS ?? 5);
const CLI = join(root, 'cli/bin/sylk.cjs');
// SYLK_BENCH_DAEMON_ENTRY (lib/sylkd.mjs) also selects the sylkd that `sylk` starts, to compare two builds.
const SYLKD = join(root, process.env.SYLK_BENCH_DAEMON_ENTRY ?? 'daemon/dist/main.js');
// The key cli/demo/scenario.yaml expects (the emulator checks it).
const DEMO_KEY = 'sylk-demo-key';
const DEMO_TASK = 'The test in this project fails. Find the bug and fix it.';

// grpc-js and the standard health service, as any health checker (grpc_health_probe, systemd) sees it.
const require = createRequire(join(root, 'daemon/package.json'));
const grpc = require('@grpc/grpc-js');
const { service: healthService } = require('grpc-health-check');
const Health = grpc.makeGenericClientConstructor(healthService, 'Health');

/** One Check on a fresh channel: 'SERVING', another status, or undefined when nothing answers. */
function check(socket) {
  return new Promise((resolve) => {
    const client = new Health(`unix:${socket}`, grpc.credentials.createInsecure());
    client.check({ service: '' }, { deadline: Date.now() + 2_000 }, (err, res) => {
      client.close();
      resolve(err ? undefined : res.status);
    });
  });
}

/** 100 sessions in 10 projects, each one real turn (read_file, then a reply), then a clean stop. */
async function buildHome(h) {
  const emulator = await startEmulatorProcess(
    {
      name: 'daemon-start',
      apiKey: DEMO_KEY,
      steps: [
        {
          match: { turn: 0 },
          reply: {
            text: 'Reading the notes first.',
            toolCalls: [{ id: 'call_read', name: 'read_file', arguments: { path: 'NOTES.md' } }],
          },
        },
        {
          reply: {
            text: 'The notes say what the project is for; nothing to change.',
            usage: { input: 900, output: 40 },
          },
        },
      ],
    },
    h.home,
  );
  writeConfig(h.home, [...emulatorLlmConfig(emulator.url), ''].join('\n'));
  const daemon = await startDaemon(h);
  const { proto, client, close } = await sessionClient(h.env.SYLK_SOCKET);
  try {
    for (let p = 0; p < PROJECTS; p++) {
      const project = join(h.home, 'projects', `p${p}`);
      mkdirSync(project, { recursive: true });
      execFileSync('sh', ['-c', 'printf "# notes\\nA small project.\\n" > NOTES.md && git init -q'], { cwd: project });
      await createSessionsAndWait(
        { proto, client },
        Array.from({ length: SESSIONS / PROJECTS }, () => ({ projectRoot: project, prompt: 'read the notes' })),
        `project ${p}'s sessions to finish their turn`,
      );
    }
  } finally {
    close();
    await daemon.stop();
    await emulator.close();
  }
  rmSync(join(h.home, 'bench-scenario.yaml'), { force: true });
}

/** Restores the template home (cp -a keeps modes). */
function restore(template, home) {
  rmSync(home, { recursive: true, force: true });
  execFileSync('cp', ['-a', template, home]);
}

/**
 * Spawns sylkd with the node flags the launcher and the service unit give it, and polls the health
 * service until SERVING: wall ms and sylkd's CPU ms at that moment.
 */
async function timeToServing(h, program = [SYLKD, '--foreground']) {
  const { DAEMON_NODE_FLAGS } = await loadDist('packages/core/dist/index.js');
  const nodeArgs = [...DAEMON_NODE_FLAGS];
  if (process.env.SYLK_BENCH_CPU_PROF) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${process.env.SYLK_BENCH_CPU_PROF}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...program], {
    env: h.env,
    cwd: h.home,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sylkd exited during start-up: ${stderr}`);
      if (performance.now() - t0 > 30_000) throw new Error(`sylkd did not serve in 30 s: ${stderr}`);
      if (existsSync(h.env.SYLK_SOCKET) && (await check(h.env.SYLK_SOCKET)) === 'SERVING') break;
      await new Promise((r) => setTimeout(r, 1));
    }
    return { ms: performance.now() - t0, cpuMs: cpuMs(child.pid) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * The floor of sylkd's stack, timed like sylkd: a bundle (esbuild, ESM, as sylkd's) that loads
 * grpc-js, boots every descriptor of the daemon API, registers its services (handlers that answer
 * nothing), opens a SQLite database in WAL mode, binds the socket and answers the health check
 * SERVING. What sylkd takes above it is its own start-up; the rest is Node, grpc-js, protobuf-es
 * and better-sqlite3.
 */
async function buildStackFloor(dir) {
  const { build } = await import('esbuild');
  const out = join(dir, 'stack-floor-bundle.mjs');
  await build({
    stdin: {
      contents: [
        "import { Server, ServerCredentials } from '@grpc/grpc-js';",
        "import { ALL_FILES, addService } from '@sylk/proto';",
        "const Database = require('better-sqlite3');",
        "const dirs = process.env.SYLK_HOME + '/floor';",
        "require('node:fs').mkdirSync(dirs, { recursive: true });",
        "const db = new Database(dirs + '/floor.db');",
        "db.pragma('journal_mode = WAL');",
        "db.exec('CREATE TABLE IF NOT EXISTS t (x)');",
        'const server = new Server();',
        'const answer = new Proxy({}, { get: () => async () => ({}) });',
        'for (const file of ALL_FILES) for (const service of file.services) addService(server, service, answer);',
        'const raw = (b) => b;',
        'server.addService(',
        "  { Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,",
        '      requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },',
        '  { Check: (_call, done) => done(null, Buffer.from([8, 1])) },', // HealthCheckResponse{status: SERVING}
        ');',
        "server.bindAsync('unix:' + process.env.SYLK_SOCKET, ServerCredentials.createInsecure(), (err) => {",
        '  if (err) throw err;',
        '});',
      ].join('\n'),
      resolveDir: join(root, 'daemon'),
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outfile: out,
    external: ['better-sqlite3'],
    banner: {
      js: `import { createRequire } from 'node:module'; const require = createRequire(${JSON.stringify(join(root, 'daemon/package.json'))});`,
    },
    logLevel: 'warning',
  });
  // As sylkd's main.js: the compile cache on (kept across runs), then the bundle.
  const entry = join(dir, 'stack-floor.mjs');
  writeFileSync(
    entry,
    [
      "import module from 'node:module';",
      `module.enableCompileCache?.(${JSON.stringify(join(dir, 'compile-cache'))});`,
      "await import('./stack-floor-bundle.mjs');",
      '',
    ].join('\n'),
  );
  return entry;
}

/** A fresh copy of the demo project and an emulator with the demo's script (its steps count once each). */
async function prepareTask(h, project) {
  const emulator = await startEmulatorProcess(
    parseScenario(readFileSync(join(root, 'cli/demo/scenario.yaml'), 'utf8')),
    h.home,
  );
  writeConfig(h.home, [...emulatorLlmConfig(emulator.url), ''].join('\n'));
  rmSync(project, { recursive: true, force: true });
  cpSync(join(root, 'cli/demo/project'), project, { recursive: true });
  return emulator;
}

/** The demo task through the real CLI, wall ms; `sylk` starts sylkd itself when none runs. */
function runTask(h, project) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'run', '--yes', '-C', project, DEMO_TASK], {
    env: h.env,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`sylk run failed (${r.status}): ${r.stderr}${r.stdout}`);
  if (spawnSync(process.execPath, ['--test'], { cwd: project }).status !== 0)
    throw new Error(`the demo task did not fix the test:\n${r.stdout}`);
  return ms;
}

let yaml;
function parseScenario(text) {
  yaml ??= createRequire(join(root, 'packages/config/package.json'))('yaml');
  return yaml.parse(text);
}

const sylk = (h, args) => spawnSync(process.execPath, [CLI, ...args], { env: h.env, encoding: 'utf8' });

export default async function daemonStartBench() {
  const h = makeHome('sylk-start-', { ANTHROPIC_API_KEY: DEMO_KEY, SYLKD_BIN: SYLKD });
  const template = `${h.home}.template`;
  try {
    await buildHome(h);
    execFileSync('cp', ['-a', h.home, template]);

    if (process.env.SYLK_BENCH_KEEP_HOME) execFileSync('cp', ['-a', template, process.env.SYLK_BENCH_KEEP_HOME]);

    // sylkd and the stack floor alternate, each on a fresh copy of the home.
    const floorProgram = [await buildStackFloor(`${h.home}.floor`)];
    const serving = [];
    const floor = [];
    for (let i = 0; i < RUNS; i++) {
      restore(template, h.home);
      serving.push(await timeToServing(h));
      restore(template, h.home);
      floor.push(await timeToServing(h, floorProgram));
    }

    const cold = [];
    const warm = [];
    const launch = [];
    const project = `${h.home}-project`;
    try {
      for (let i = 0; i < TASK_RUNS; i++) {
        for (const daemonRunning of [false, true]) {
          restore(template, h.home);
          const emulator = await prepareTask(h, project);
          try {
            if (daemonRunning) {
              const t0 = performance.now();
              if (sylk(h, ['daemon', 'start']).status !== 0) throw new Error('sylk daemon start failed');
              launch.push(performance.now() - t0);
            }
            (daemonRunning ? warm : cold).push(runTask(h, project));
          } finally {
            sylk(h, ['daemon', 'stop']);
            await emulator.close();
          }
        }
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }

    const servingMs = median(serving.map((s) => s.ms));
    const floorMs = median(floor.map((s) => s.ms));
    const extraMs = median(cold) - median(warm);
    const metrics = {
      sessions: SESSIONS,
      serving_ms: round(servingMs, 1),
      serving_ms_min: round(Math.min(...serving.map((s) => s.ms)), 1),
      serving_ms_max: round(Math.max(...serving.map((s) => s.ms)), 1),
      serving_cpu_s: round(median(serving.map((s) => s.cpuMs)) / 1000, 3),
      stack_floor_ms: round(floorMs, 1),
      own_ms: round(servingMs - floorMs, 1),
      first_task_cold_ms: round(median(cold), 1),
      first_task_warm_ms: round(median(warm), 1),
      first_task_extra_ms: round(extraMs, 1),
      daemon_start_ms: round(median(launch), 1),
      runs: RUNS,
      task_runs: TASK_RUNS,
    };
    const targets = { serving_ms: '<= 150', first_task_extra_ms: '<= 300' };
    const met = servingMs <= 150 && extraMs <= 300;
    const summary =
      `sylkd to SERVING with ${SESSIONS} sessions on disk ${metrics.serving_ms} ms ` +
      `(median of ${RUNS}, ${metrics.serving_ms_min}–${metrics.serving_ms_max}; ${metrics.serving_cpu_s} CPU-s), target ≤ 150; ` +
      `stack floor (grpc-js server, the API's descriptors, SQLite, health) ${metrics.stack_floor_ms} ms, sylkd's own ${metrics.own_ms} ms; ` +
      `demo task cold ${metrics.first_task_cold_ms} ms vs warm ${metrics.first_task_warm_ms} ms ` +
      `(median of ${TASK_RUNS} each) = +${metrics.first_task_extra_ms} ms, target ≤ 300; ` +
      `\`sylk daemon start\` ${metrics.daemon_start_ms} ms`;
    return { summary, metrics, targets, met };
  } finally {
    sylk(h, ['daemon', 'stop']);
    rmSync(template, { recursive: true, force: true });
    rmSync(`${h.home}.floor`, { recursive: true, force: true });
    h.cleanup();
  }
}
