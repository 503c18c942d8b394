// Shared helpers for end-to-end session benches: a temp SYLK_HOME, a real `sylkd --foreground`
// (spawned with an IPC channel so we know when it serves), the emulator as its own process (so
// it never shares an event loop with the client being measured), and a gRPC client built from
// packages/proto dist. Everything here uses built packages: run
// `npx turbo run build --output-logs=errors-only` first.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Imports a built workspace module (e.g. `packages/proto/dist/index.js`) with a build hint on failure. */
export async function loadDist(rel) {
  const url = pathToFileURL(join(root, rel)).href;
  try {
    return await import(url);
  } catch (err) {
    throw new Error(`cannot load ${rel}: run \`npx turbo run build --output-logs=errors-only\` first (${err.message})`);
  }
}

/** Where lib/trace-pauses.mjs writes, when asked: the daemon and emulator need it too. */
function diagnosticEnv() {
  return process.env.SYLK_TRACE_PAUSES_DIR ? { SYLK_TRACE_PAUSES_DIR: process.env.SYLK_TRACE_PAUSES_DIR } : {};
}

/** A throwaway SYLK_HOME and the environment a daemon (and its clients) run with there. */
export function makeHome(prefix, extraEnv = {}) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    SYLK_HOME: home,
    SYLK_SOCKET: join(home, 'run', 'sylkd.sock'),
    NO_COLOR: '1',
    ...diagnosticEnv(),
    ...extraEnv,
  };
  return { home, env, dataDir: join(home, 'data'), cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Milliseconds of CPU (user + system) a process has used so far, from /proc (Linux). */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in MB, from /proc (Linux). */
export function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

export const RSS_SETTLE_MS = 30_000;

/**
 * Median RSS of `count` samples `everyMs` apart, after `settleMs` of quiet. The default quiet
 * (30 s) outlasts sylkd's idle memory trim (daemon/src/memory-trim.ts: a collection in each quiet
 * 3 s after work until the young generation shrinks, and one more 10 s later that returns the
 * pages V8 pooled), so the figure is the steady idle state, not the tail of a burst.
 */

export async function settledRssMb(pid, { settleMs = RSS_SETTLE_MS, count = 10, everyMs = 200 } = {}) {
  await new Promise((r) => setTimeout(r, settleMs));
  const samples = [];
  for (let i = 0; i < count; i++) {
    samples.push(rssMb(pid));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/**
 * Starts `node <sylkd's node flags> daemon/dist/main.js --foreground` (the real entry point with
 * the flags the launcher and the service unit give it, and main.js's runtime V8 flags) and
 * resolves once it reports `ready` over IPC. Diagnostics: `SYLK_BENCH_CPU_PROF=<dir>` adds
 * `--cpu-prof`; `SYLK_BENCH_NODE_ARGS="--flag …"` adds node/V8 flags (command-line flags, which
 * unlike main.js's runtime ones also size the heap; `--import <abs path>/lib/trace-pauses.mjs` with
 * `SYLK_TRACE_PAUSES_DIR` records GC and event-loop pauses); `SYLK_BENCH_DAEMON_ENTRY=daemon/dist/run.js`
 * starts it without main.js's V8 flags. `SYLK_BENCH_DAEMON_STDOUT=<file>` keeps sylkd's stdout there
 * (V8's own traces, e.g. with `--trace-gc-nvp` in SYLK_BENCH_NODE_ARGS).
 */
export async function startDaemon({ env, home }) {
  const { DAEMON_NODE_FLAGS } = await loadDist('packages/core/dist/index.js');
  const nodeArgs = [...DAEMON_NODE_FLAGS];
  if (process.env.SYLK_BENCH_NODE_ARGS) nodeArgs.push(...process.env.SYLK_BENCH_NODE_ARGS.split(' '));
  if (process.env.SYLK_BENCH_CPU_PROF) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${process.env.SYLK_BENCH_CPU_PROF}`);
  const stdout = process.env.SYLK_BENCH_DAEMON_STDOUT ? openSync(process.env.SYLK_BENCH_DAEMON_STDOUT, 'w') : 'ignore';
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(root, process.env.SYLK_BENCH_DAEMON_ENTRY ?? 'daemon/dist/main.js'), '--foreground'],
    { env, cwd: home, stdio: ['ignore', stdout, 'pipe', 'ipc'] },
  );
  if (typeof stdout === 'number') closeSync(stdout); // the child has its own copy
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await Promise.race([
    new Promise((resolve) => child.on('message', (m) => m?.type === 'ready' && resolve(true))),
    exited.then(({ code, signal }) => new Error(`sylkd exited during start-up (${code ?? signal}): ${stderr}`)),
    new Promise((resolve) =>
      setTimeout(() => resolve(new Error(`sylkd did not become ready in 20 s: ${stderr}`)), 20_000).unref(),
    ),
  ]);
  if (ready instanceof Error) {
    child.kill('SIGKILL');
    throw ready;
  }
  return {
    pid: child.pid,
    socket: env.SYLK_SOCKET,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Runs the emulator CLI as a child process with `scenario` (an object; JSON is valid YAML). */
export async function startEmulatorProcess(scenario, dir) {
  const file = join(dir, 'bench-scenario.yaml');
  writeFileSync(file, JSON.stringify(scenario));
  // SYLK_BENCH_CPU_PROF profiles the emulator too: its CPU competes with sylkd's on a small machine.
  const prof = process.env.SYLK_BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SYLK_BENCH_CPU_PROF}`, '--cpu-prof-name=emulator.cpuprofile']
    : [];
  const child = spawn(
    process.execPath,
    [...prof, join(root, 'packages/emulator/bin/sylk-emulator.js'), '--scenario', file, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await Promise.race([
    new Promise((resolve) =>
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      }),
    ),
    exited.then((code) => new Error(`sylk-emulator exited (${code}): ${err}`)),
  ]);
  if (url instanceof Error) throw url;
  return {
    url,
    pid: child.pid,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A fresh gRPC channel to the daemon and a SessionService client on it (what `sylk` builds). */
export async function sessionClient(socket) {
  const proto = await loadDist('packages/proto/dist/index.js');
  const channel = proto.connect(proto.unixTarget(socket));
  return { proto, channel, client: proto.createClient(proto.SessionService, channel), close: () => channel.close() };
}

/** "loaded N of M" from the daemon's Status (its `sessions` component). */
export async function loadedSessions(daemonClient) {
  const status = await daemonClient.status({});
  const detail = status.components.find((c) => c.name === 'sessions')?.detail ?? '';
  const m = /^loaded (\d+) of (\d+)/.exec(detail);
  if (m === null) throw new Error(`sylkd's Status has no sessions line (is daemon/dist built?): ${detail}`);
  return { loaded: Number(m[1]), total: Number(m[2]) };
}

/** Wall-clock milliseconds with sub-millisecond precision (comparable with the daemon's Date.now()). */
export const wallMs = () => performance.timeOrigin + performance.now();

/**
 * One turn as an attached client sees it (what `sylk attach` does): attach from `fromSeq`, call
 * `onSnapshot(call)` on the first snapshot (it sends the input on the stream), then hand every
 * event with its receipt time (wallMs) to `onEvent(e, at)` until that returns true. A resync
 * re-attaches from the seq it names and is counted; the stream is cancelled after `timeoutMs`.
 * `progress()` says what arrived, for the error when the stream ends first. Resolves to
 * `{ resyncs, nextSeq }` (where the next turn attaches from).
 */
export async function attachedTurn(client, sessionId, fromSeq, { onSnapshot, onEvent, progress, timeoutMs }) {
  const { attachedEvents } = await loadDist('packages/proto/dist/event-columns.js');
  let nextSeq = fromSeq;
  let resyncs = 0;
  let sent = false;
  let call;
  const deadline = setTimeout(() => call?.cancel(), timeoutMs);
  try {
    for (;;) {
      call = client.attach();
      call.send({
        msg: { case: 'start', value: { session: sessionId, fromSeq: BigInt(nextSeq), cols: 120, rows: 40 } },
      });
      let resynced = false;
      for await (const res of call) {
        const m = res.msg;
        if (m.case === 'session' && !sent) {
          sent = true;
          onSnapshot(call);
        } else if (m.case === 'result' && !m.value.ok) {
          throw new Error(`input refused: ${m.value.error}`);
        } else if (m.case === 'resync') {
          resyncs++;
          nextSeq = Number(m.value.fromSeq);
          resynced = true;
          break;
        } else {
          const at = wallMs();
          for (const e of attachedEvents(res)) {
            nextSeq = e.seq + 1;
            if (onEvent(e, at)) return { resyncs, nextSeq };
          }
        }
      }
      call.cancel();
      if (!resynced) throw new Error(`attach stream ended before the turn finished (${progress()})`);
    }
  } finally {
    clearTimeout(deadline);
    call?.cancel();
  }
}

/** Polls `check` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** config.yaml lines pointing the Anthropic provider at an emulator (what a user writes). */
export function emulatorLlmConfig(url) {
  return [
    'llm:',
    '  default_provider: anthropic',
    '  providers:',
    '    anthropic:',
    `      base_url: ${url}`,
    '      default_model: claude-sonnet-5-5',
  ];
}

/** Starts one session per `{ projectRoot, prompt }` and waits until each has finished its turn; returns their ids. */
export async function createSessionsAndWait({ proto, client }, specs, what) {
  const created = await Promise.all(
    specs.map(({ projectRoot, prompt }) =>
      client.createSession({ projectRoot, name: '', provider: '', model: '', prompt, clientEnv: {} }),
    ),
  );
  const ids = new Set(created.map((c) => c.session.id));
  await until(
    async () =>
      (await client.listSessions({ all: true, projectRoot: '' })).sessions
        .filter((s) => ids.has(s.id))
        .every((s) => s.state === proto.SessionState.IDLE && s.lastSeq > 0n),
    120_000,
    what,
  );
  return [...ids];
}

export function writeConfig(home, yaml) {
  mkdirSync(join(home, 'config'), { recursive: true });
  writeFileSync(join(home, 'config', 'config.yaml'), yaml);
}

/** A system.db with every migration applied (the gate's usage tables), as sylkd opens it. */
export async function openSystemDb(dir) {
  const { default: Database } = await import('better-sqlite3');
  const { SYSTEM_MIGRATIONS } = await loadDist('packages/storage/dist/index.js');
  const db = new Database(join(dir, 'system.db'));
  db.pragma('journal_mode = WAL');
  for (const m of SYSTEM_MIGRATIONS) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return db;
}
