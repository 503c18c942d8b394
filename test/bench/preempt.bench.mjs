// Preemption and scheduling overhead (issue #17).
// slot_wait_ms: a ResourcePool sized like sylkd's subprocess pool (2 × cores) whose pipeline units
// are all held by real `sleep` children (each in its own process group) and whose reserve is held
// by another user's lease; a user acquisition must preempt. The holder's onPreempt sends SIGSTOP
// to its group and resolves once /proc shows the child stopped; onResume sends SIGCONT. The
// figure is acquire() → lease granted, the pause included. Nothing is killed, so there is no kill
// grace to exclude. resume_ms: release → the child running again.
// schedule_p99_ms: PipelineScheduler with 4 slots and 100 pipelines queued across 10 sessions;
// the time from a running pipeline's promise resolving to the next pipeline's run() being called
// (settle, fair-share pick, start), p99 over 5,000 starts; submit_p99_ms is submit() itself.
//
// Imports the built package: `npx turbo run build --filter=@sylk/resources`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { systemClock } from '../../packages/core/dist/index.js';
import { PipelineScheduler, ResourcePool } from '../../packages/resources/dist/index.js';
import { median, percentile, round } from './stats.mjs';

const PREEMPTS = 200;
const STARTS = 5_000;
const QUEUED = 100;

/** The child's state letter from /proc (R, S, T…), or undefined once it is gone. */
function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

async function until(predicate) {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

async function preemption() {
  const capacity = 2 * availableParallelism();
  const pool = new ResourcePool({ name: 'subprocess', capacity, clock: systemClock });
  const children = [];
  const holders = [];
  for (let i = 0; i < capacity - pool.reserve; i++) {
    const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    children.push(child);
    holders.push(
      await pool.acquire({
        owner: { sessionId: `pipelines-${i % 3}`, pipelineId: `p${i}` },
        user: false,
        priority: 20 + i,
        onPreempt: async () => {
          process.kill(-child.pid, 'SIGSTOP');
          await until(() => procState(child.pid) === 'T');
        },
        onResume: () => process.kill(-child.pid, 'SIGCONT'),
      }),
    );
  }
  const otherUser = [];
  for (let i = 0; i < pool.reserve; i++)
    otherUser.push(await pool.acquire({ owner: { sessionId: 'other' }, user: true }));
  if (pool.inUse !== capacity) throw new Error(`pool not full: ${pool.inUse} of ${capacity}`);
  const waits = [];
  const resumes = [];
  try {
    for (let i = 0; i < PREEMPTS; i++) {
      const t = performance.now();
      const lease = await pool.acquire({ owner: { sessionId: 'user' }, user: true });
      waits.push(performance.now() - t);
      const stopped = children.filter((c) => procState(c.pid) === 'T');
      if (stopped.length !== 1) throw new Error(`expected one stopped holder, found ${stopped.length}`);
      const r = performance.now();
      lease.release();
      await until(() => procState(stopped[0].pid) !== 'T');
      resumes.push(performance.now() - r);
    }
  } finally {
    for (const child of children) process.kill(-child.pid, 'SIGKILL');
  }
  for (const lease of [...holders, ...otherUser]) lease.release();
  if (pool.inUse !== 0 || pool.preempted !== 0) throw new Error('pool not empty after the run');
  return { capacity, waits, resumes, preemptions: pool.stats().preemptions };
}

async function scheduling() {
  const scheduler = new PipelineScheduler({ maxConcurrent: 4, clock: systemClock });
  const running = [];
  const gaps = [];
  const submits = [];
  let resolvedAt = 0;
  let next = 0;
  const submit = () => {
    const id = `p${next++}`;
    const t = performance.now();
    scheduler.submit({
      id,
      sessionId: `s${next % 10}`,
      priority: 40 + (next % 3) * 20,
      run: () =>
        new Promise((resolve) => {
          if (resolvedAt > 0) gaps.push(performance.now() - resolvedAt);
          running.push(resolve);
        }),
    });
    submits.push(performance.now() - t);
  };
  for (let i = 0; i < QUEUED + 4; i++) submit();
  submits.length = 0;
  for (let i = 0; i < STARTS; i++) {
    const finish = running.shift();
    resolvedAt = performance.now();
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    if (scheduler.snapshot().queued !== QUEUED - 1) throw new Error('queue depth drifted');
    submit();
  }
  for (const finish of running) finish();
  scheduler.shares.close();
  return { gaps: gaps.slice(100), submits };
}

export default async function preemptBench() {
  const p = await preemption();
  const s = await scheduling();
  const metrics = {
    slot_wait_ms: round(median(p.waits), 3),
    slot_wait_p99_ms: round(percentile(p.waits, 99), 3),
    resume_ms: round(median(p.resumes), 3),
    schedule_p50_ms: round(median(s.gaps), 4),
    schedule_p99_ms: round(percentile(s.gaps, 99), 4),
    submit_p99_ms: round(percentile(s.submits, 99), 4),
  };
  const targets = { slot_wait_ms: '<= 50 (p99 too)', schedule_p99_ms: '< 1' };
  return {
    summary:
      `user acquire with all ${p.capacity} subprocess units held (SIGSTOP of a real child): median ${metrics.slot_wait_ms} ms, ` +
      `p99 ${metrics.slot_wait_p99_ms} ms over ${PREEMPTS}; release → child running again ${metrics.resume_ms} ms; ` +
      `pipeline start with ${QUEUED} queued: p50 ${metrics.schedule_p50_ms} ms, p99 ${metrics.schedule_p99_ms} ms; submit p99 ${metrics.submit_p99_ms} ms`,
    metrics,
    targets,
    met: metrics.slot_wait_ms <= 50 && metrics.slot_wait_p99_ms <= 50 && metrics.schedule_p99_ms < 1,
  };
}
