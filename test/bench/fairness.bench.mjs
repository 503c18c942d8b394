// Fair share of the pipeline scheduler (issue #17): 10 equally busy sessions keep pipelines
// queued in one PipelineScheduler (4 slots, real timers) for a few seconds; each pipeline is a
// real timer sleep of 5-25 ms (seeded, so sessions do not move in lockstep), and every session
// records a request in the shared FairShare every 50 ms, as an equally busy agent would. The sessions always
// have work queued but keep different numbers in flight (1 to 6): first-come-first-served would
// split the slots by queue depth, a fair scheduler evenly. `jain` is Jain's
// fairness index over the sessions' slot-time (time their pipelines held a slot) across the run:
// 1 is a perfectly even split, 1/n one session taking everything.
//
// Imports the built package: `npx turbo run build --filter=@sylk/resources`.
import { systemClock } from '../../packages/core/dist/index.js';
import { FairShare, PipelineScheduler } from '../../packages/resources/dist/index.js';
import { round } from './stats.mjs';

const SESSIONS = 10;
const SLOTS = 4;
/** Pipelines each session keeps submitted (queued or running). */
const inFlight = (s) => 1 + (s % 6);
const RUN_MS = 3_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function fairnessBench() {
  const shares = new FairShare({ clock: systemClock });
  const scheduler = new PipelineScheduler({ maxConcurrent: SLOTS, clock: systemClock, shares });
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const slotMs = new Array(SESSIONS).fill(0);
  const started = new Array(SESSIONS).fill(0);
  const t0 = performance.now();
  const end = t0 + RUN_MS;
  let next = 0;
  let stopping = false;

  const submit = (s) => {
    const id = `s${s}-p${next++}`;
    scheduler.submit({
      id,
      sessionId: `s${s}`,
      priority: 60,
      run: async () => {
        const from = performance.now();
        started[s]++;
        await sleep(5 + Math.floor(random() * 21));
        const to = performance.now();
        slotMs[s] += Math.max(0, Math.min(to, end) - Math.max(from, t0));
      },
    });
  };
  scheduler.onChange((id, state, info) => {
    if (stopping || (state !== 'done' && state !== 'failed')) return;
    submit(Number(info.sessionId.slice(1)));
  });
  const activity = setInterval(() => {
    for (let s = 0; s < SESSIONS; s++) shares.record(`s${s}`, 'request');
  }, 50);
  // Session by session: s0's pipelines come first and start eagerly; the others must catch up.
  for (let s = 0; s < SESSIONS; s++) for (let i = 0; i < inFlight(s); i++) submit(s);
  await sleep(RUN_MS);
  stopping = true;
  clearInterval(activity);
  await scheduler.idle();
  shares.close();

  const sum = slotMs.reduce((a, b) => a + b, 0);
  const sumSq = slotMs.reduce((a, b) => a + b * b, 0);
  const jain = (sum * sum) / (SESSIONS * sumSq);
  const utilisation = sum / (SLOTS * RUN_MS);
  const metrics = {
    jain: round(jain, 4),
    min_slot_s: round(Math.min(...slotMs) / 1000, 3),
    max_slot_s: round(Math.max(...slotMs) / 1000, 3),
    utilisation: round(utilisation, 3),
    pipelines: started.reduce((a, b) => a + b, 0),
  };
  const targets = { jain: '>= 0.95' };
  return {
    summary:
      `${SESSIONS} sessions (1-6 in flight each) on ${SLOTS} slots for ${RUN_MS / 1000} s: ${metrics.pipelines} pipelines, ` +
      `slot-time per session ${metrics.min_slot_s}–${metrics.max_slot_s} s (slots ${round(utilisation * 100, 1)}% busy) → Jain ${metrics.jain}`,
    metrics,
    targets,
    met: jain >= 0.95,
  };
}
