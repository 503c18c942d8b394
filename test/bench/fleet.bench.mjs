// A fleet of sessions on one daemon, at a real provider's pace: a real sylkd, the emulator as its
// own process, and FLEET_SESSIONS (default 50) sessions, each with its own gRPC channel and
// SessionService.Attach stream (what one `sylk attach` is). In every run each session gets one
// turn, all at once (inputs spread over the first second): the model streams DELTAS text deltas
// at DELTAS_PER_S (~100 tokens/s in deltas of ~3 tokens, Anthropic SSE), then calls run_command
// `echo fleet` (a real subprocess, auto-allowed) and answers the result in one short reply.
//
// relay_p99_ms: the emulator stamps each delta with the wall-clock time it writes it (scenario
// `stampMarker`); latency = client receipt − that stamp, i.e. emulator socket → sylkd (HTTP
// parse, adapter, agent, redaction, event log commit, fan-out, Attach, gRPC over the Unix
// socket) → client. Both ends read the same clock. The client process handles all 50 streams,
// so its own event loop is in the figure too (an upper bound on what sylkd adds). Its two parts
// are reported as well: ingest (stamp → the event's `ts`, set when sylkd appends it; 1 ms
// resolution) and fan-out (`ts` → client receipt).
// daemon_cpu_pct: sylkd's CPU (user + system) over the run, % of one core; rss_mb: sylkd's
// peak resident memory during the run. Figures are medians of RUNS runs (the p99 of each run).
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, percentile, round } from './stats.mjs';
import {
  cpuMs,
  loadDist,
  makeHome,
  rssMb,
  sessionClient,
  startDaemon,
  startEmulatorProcess,
  wallMs,
  writeConfig,
} from './lib/sylkd.mjs';

const API_KEY = 'bench-key';
const SESSIONS = Number(process.env.FLEET_SESSIONS ?? 50);
const RUNS = 3;
const DELTAS = 300; // text deltas per turn
const DELTAS_PER_S = 33; // ~3 tokens each: ~100 tokens/s
const MARKER = '@T@';
// One delta: the stamp, then ~3 tokens of text (ending in a space: nothing for the streaming redactor to hold back).
const UNIT = `${MARKER} fleet words `;
const STAMP = /(\d{13}\.\d{3})/g;
const TURN_TIMEOUT_MS = 120_000;
const TARGET_P99_MS = 5;
const { attachedEvents } = await loadDist('packages/proto/dist/event-columns.js');

function scenario() {
  return {
    name: 'fleet-bench',
    apiKey: API_KEY,
    steps: [
      {
        name: 'stream',
        match: { lastUser: 'go' },
        reply: {
          text: UNIT.repeat(DELTAS),
          chunkSize: UNIT.length,
          eventsPerSecond: DELTAS_PER_S,
          stampMarker: MARKER,
          toolCalls: [{ name: 'run_command', arguments: { command: 'echo fleet' } }],
          usage: { input: 300, output: 3 * DELTAS },
        },
      },
      { name: 'after-tool', match: { lastTool: 'fleet' }, reply: { text: 'Done.', usage: { input: 400, output: 2 } } },
      { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
    ],
  };
}

/**
 * One session's turn, watched by its attached client: attach from `fromSeq`, send the input on
 * the stream once the snapshot arrived (after `delayMs`), collect every delta's latency until
 * the turn ends idle. A resync re-attaches (as the CLI does) and is counted.
 */
async function watchedTurn(client, sessionId, fromSeq, delayMs) {
  const lat = [];
  const ingest = []; // emulator write → sylkd's append (`ts`, 1 ms resolution)
  const fanout = []; // sylkd's append → client receipt
  let nextSeq = fromSeq;
  let resyncs = 0;
  let sent = false;
  let inputSeen = false;
  let tools = 0;
  let call;
  const deadline = setTimeout(() => call?.cancel(), TURN_TIMEOUT_MS);
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
          const stream = call;
          setTimeout(() => stream.send({ msg: { case: 'input', value: { text: 'go' } } }), delayMs);
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
            if (e.kind === 'assistant_delta') {
              for (const s of JSON.parse(e.dataJson).text.matchAll(STAMP)) {
                lat.push(at - Number(s[1]));
                ingest.push(e.tsUnixMs - Number(s[1]));
              }
              fanout.push(at - e.tsUnixMs);
              continue;
            }
            const data = JSON.parse(e.dataJson);
            if (e.kind === 'user_input') inputSeen = true;
            else if (e.kind === 'tool_finished') tools++;
            else if (e.kind === 'error') throw new Error(`turn failed: ${data.message}`);
            else if (inputSeen && e.kind === 'state_changed' && (data.to === 'idle' || data.to === 'failed')) {
              if (data.to === 'failed') throw new Error('turn ended failed');
              return { lat, ingest, fanout, resyncs, tools, nextSeq };
            }
          }
        }
      }
      call.cancel();
      if (!resynced) throw new Error(`attach stream ended before the turn finished (${lat.length} deltas)`);
    }
  } finally {
    clearTimeout(deadline);
    call?.cancel();
  }
}

async function run(clients, sessions, fromSeqs, daemonPid) {
  let peakRss = rssMb(daemonPid);
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(daemonPid))), 250);
  const cpu0 = cpuMs(daemonPid);
  const t0 = performance.now();
  try {
    const turns = await Promise.all(
      sessions.map((s, i) => watchedTurn(clients[i], s.id, fromSeqs[i], (i * 1000) / sessions.length)),
    );
    const seconds = (performance.now() - t0) / 1000;
    turns.forEach((t, i) => (fromSeqs[i] = t.nextSeq));
    const lat = turns.flatMap((t) => t.lat);
    const expected = sessions.length * DELTAS;
    if (lat.length < expected * 0.99) throw new Error(`received ${lat.length} stamped deltas, expected ${expected}`);
    const tools = turns.reduce((n, t) => n + t.tools, 0);
    if (tools !== sessions.length) throw new Error(`${tools} tool runs finished, expected ${sessions.length}`);
    const ingest = turns.flatMap((t) => t.ingest);
    const fanout = turns.flatMap((t) => t.fanout);
    return {
      ingestP99: percentile(ingest, 99),
      fanoutP99: percentile(fanout, 99),
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      max: percentile(lat, 100),
      deltas: lat.length,
      resyncs: turns.reduce((n, t) => n + t.resyncs, 0),
      cpuPct: (100 * (cpuMs(daemonPid) - cpu0)) / 1000 / seconds,
      rssMb: peakRss,
      seconds,
    };
  } finally {
    clearInterval(sampler);
  }
}

export default async function fleetBench() {
  const h = makeHome('sylk-fleet-bench-', { ANTHROPIC_API_KEY: API_KEY });
  let emulator;
  let daemon;
  const conns = [];
  try {
    emulator = await startEmulatorProcess(scenario(), h.home);
    // Every session streams at once: as many gate workers as sessions (the default, 4, would queue them).
    writeConfig(
      h.home,
      `llm:\n  queue:\n    workers: ${SESSIONS}\n  providers:\n    anthropic:\n      base_url: ${emulator.url}\n`,
    );
    daemon = await startDaemon(h);
    for (let i = 0; i < SESSIONS; i++) conns.push(await sessionClient(daemon.socket));
    const sessions = [];
    for (let i = 0; i < SESSIONS; i++) {
      const project = join(h.home, 'projects', `p${i}`);
      mkdirSync(project, { recursive: true });
      sessions.push((await conns[i].client.createSession({ projectRoot: project, name: `fleet-${i}` })).session);
    }
    const clients = conns.map((c) => c.client);
    const fromSeqs = sessions.map((s) => Number(s.lastSeq) + 1);
    // Warm-up, every session once: runtimes load, the first undo snapshot of each project, SDK, JIT, sandbox.
    await run(clients, sessions, fromSeqs, daemon.pid);
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await run(clients, sessions, fromSeqs, daemon.pid));

    const metrics = {
      relay_p99_ms: round(median(runs.map((r) => r.p99)), 2),
      relay_p50_ms: round(median(runs.map((r) => r.p50)), 2),
      relay_max_ms: round(median(runs.map((r) => r.max)), 2),
      ingest_p99_ms: round(median(runs.map((r) => r.ingestP99)), 2),
      fanout_p99_ms: round(median(runs.map((r) => r.fanoutP99)), 2),
      daemon_cpu_pct: round(median(runs.map((r) => r.cpuPct)), 0),
      rss_mb: round(median(runs.map((r) => r.rssMb)), 0),
      sessions: SESSIONS,
      deltas_per_s: Math.round((SESSIONS * DELTAS) / median(runs.map((r) => r.seconds))),
      run_seconds: round(median(runs.map((r) => r.seconds)), 1),
      resyncs: runs.reduce((n, r) => n + r.resyncs, 0),
    };
    const targets = { relay_p99_ms: `<= ${TARGET_P99_MS}`, daemon_cpu_pct: 'report', rss_mb: 'report' };
    const met = metrics.relay_p99_ms <= TARGET_P99_MS;
    const summary =
      `${SESSIONS} sessions each streaming ${DELTAS} deltas at ${DELTAS_PER_S}/s (~100 tokens/s) and running echo, ` +
      `one gRPC Attach client each: relay latency emulator write → client receipt p50 ${metrics.relay_p50_ms} ms, ` +
      `p99 ${metrics.relay_p99_ms} ms (runs ${runs.map((r) => round(r.p99, 2)).join(', ')}), max ${metrics.relay_max_ms} ms ` +
      `(p99 of its parts: emulator write → sylkd append ${metrics.ingest_p99_ms} ms, append → client ${metrics.fanout_p99_ms} ms); ` +
      `sylkd CPU ${metrics.daemon_cpu_pct}% of one core, peak RSS ${metrics.rss_mb} MB; ` +
      `${metrics.deltas_per_s} deltas/s over ${metrics.run_seconds} s a run; ${metrics.resyncs} resyncs ` +
      `(median of ${RUNS} runs) [load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${cpus().length} CPUs]`;
    return { summary, metrics, targets, met };
  } finally {
    for (const c of conns) c.close();
    await daemon?.stop();
    await emulator?.close();
    h.cleanup();
  }
}
