// A fleet of sessions on one daemon at a real provider's pace, and the relay latency to their
// attached clients (what is measured and how: fleet.bench.mjs). Shared by the `fleet` and `web`
// benches: a real sylkd, the emulator as its own process, SESSIONS sessions each with its own
// gRPC channel and SessionService.Attach stream (what one `sylk attach` is).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from '../stats.mjs';
import {
  attachedTurn,
  cpuMs,
  makeHome,
  rssMb,
  sessionClient,
  startDaemon,
  startEmulatorProcess,
  writeConfig,
} from './sylkd.mjs';

const API_KEY = 'bench-key';
export const SESSIONS = Number(process.env.FLEET_SESSIONS ?? 50);
export const DELTAS = 300; // text deltas per turn
export const DELTAS_PER_S = 33; // ~3 tokens each: ~100 tokens/s
const MARKER = '@T@';
// One delta: the stamp, then ~3 tokens of text (ending in a space: nothing for the streaming redactor to hold back).
const UNIT = `${MARKER} fleet words `;
const STAMP = /(\d{13}\.\d{3})/g;
const TURN_TIMEOUT_MS = 120_000;

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
  let inputSeen = false;
  let tools = 0;
  const states = []; // the session's state changes, with the daemon's append time
  const { resyncs, nextSeq } = await attachedTurn(client, sessionId, fromSeq, {
    timeoutMs: TURN_TIMEOUT_MS,
    onSnapshot: (call) => setTimeout(() => call.send({ msg: { case: 'input', value: { text: 'go' } } }), delayMs),
    onEvent(e, at) {
      if (e.kind === 'assistant_delta') {
        for (const s of JSON.parse(e.dataJson).text.matchAll(STAMP)) {
          lat.push(at - Number(s[1]));
          ingest.push(e.tsUnixMs - Number(s[1]));
        }
        fanout.push(at - e.tsUnixMs);
        return false;
      }
      const data = JSON.parse(e.dataJson);
      if (e.kind === 'state_changed') states.push({ session: sessionId, to: data.to, ts: e.tsUnixMs });
      if (e.kind === 'user_input') inputSeen = true;
      else if (e.kind === 'tool_finished') tools++;
      else if (e.kind === 'error') throw new Error(`turn failed: ${data.message}`);
      else if (inputSeen && e.kind === 'state_changed' && (data.to === 'idle' || data.to === 'failed')) {
        if (data.to === 'failed') throw new Error('turn ended failed');
        return true;
      }
      return false;
    },
    progress: () => `${lat.length} deltas`,
  });
  return { lat, ingest, fanout, resyncs, tools, nextSeq, states };
}

/**
 * One run: every session gets one turn, all at once (inputs spread over the first second); the
 * relay latency of all their deltas, its parts, sylkd's CPU and peak RSS, the state changes seen.
 */
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
      states: turns.flatMap((t) => t.states),
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * The fleet: emulator, sylkd (as many gate workers as sessions, so none queue), SESSIONS
 * sessions with a client each. `run()` is one run (see above); `close()` stops everything.
 */
export async function startFleet(prefix) {
  const h = makeHome(prefix, { ANTHROPIC_API_KEY: API_KEY });
  let emulator;
  let daemon;
  const conns = [];
  const close = async () => {
    for (const c of conns) c.close();
    await daemon?.stop();
    await emulator?.close();
    h.cleanup();
  };
  try {
    emulator = await startEmulatorProcess(scenario(), h.home);
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
    const pid = daemon.pid;
    return {
      daemon,
      sessions,
      run: () => run(clients, sessions, fromSeqs, pid),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
