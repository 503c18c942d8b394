// The daemon's one task scheduler through a real sylkd: the global limit holds with 100 tasks
// from 10 sessions, and two busy sessions split the slots evenly. What ran when is read back from
// the sessions' `pipeline` events (running → an end state, wall-clock ms).
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  scenarioFile,
  sessionHarness,
  startDetached,
  type EventJson,
  type SessionHarness,
} from '../helpers/sessions.js';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

const ENDED = new Set(['done', 'failed', 'cancelled', 'timed_out', 'conflict', 'interrupted']);

interface Interval {
  session: string;
  task: string;
  start: number;
  end: number;
}

/** Each task's running interval, from a session's log. */
function intervals(session: string, events: EventJson[]): Interval[] {
  const starts = new Map<string, number>();
  const out: Interval[] = [];
  for (const e of events) {
    if (e.kind !== 'pipeline') continue;
    const task = String(e.data.pipeline);
    if (e.data.state === 'running') starts.set(task, e.ts);
    else if (ENDED.has(String(e.data.state)) && starts.has(task))
      out.push({ session, task, start: starts.get(task) as number, end: e.ts });
  }
  return out;
}

/** The most intervals running at once (an end and a start at the same ms do not overlap). */
function maxOverlap(all: Interval[], filter: (i: Interval) => boolean = () => true): number {
  const points = all
    .filter(filter)
    .flatMap((i) => [
      { t: i.start, d: 1 },
      { t: i.end, d: -1 },
    ])
    .sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (now += p.d));
  return max;
}

const said = (text: string) => (e: EventJson) => e.kind === 'assistant_message' && e.data.text === text;

describe('the task scheduler', () => {
  it('holds the global limit with 100 tasks from 10 sessions, and every task runs', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), 'pipelines:\n  max_concurrent: 2\n  max_per_session: 10\n');
    const project = s.project('fleet');
    const sessions = [];
    for (let i = 0; i < 10; i++) sessions.push(await startDetached(s, project, 'delegate ten', ['--name', `f${i}`]));
    for (const session of sessions)
      await s.waitEvent(session.id, said('PARENT: the explorer reported.'), `${session.name} read its tasks`);
    const all: Interval[] = [];
    for (const session of sessions) all.push(...intervals(session.name, await s.events(session.id)));
    expect(all).toHaveLength(100);
    expect(maxOverlap(all)).toBeLessThanOrEqual(2);
    // Every session got slots while others still had work queued (not one session after another).
    const firstEnds = sessions.map((x) => Math.min(...all.filter((i) => i.session === x.name).map((i) => i.end)));
    const lastStart = Math.max(...all.map((i) => i.start));
    expect(firstEnds.every((t) => t < lastStart)).toBe(true);
  });

  it('two busy sessions split the slots evenly', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), 'pipelines:\n  max_concurrent: 2\n');
    const project = s.project('pair');
    const a = await startDetached(s, project, 'delegate four', ['--name', 'a']);
    const b = await startDetached(s, project, 'delegate four', ['--name', 'b']);
    for (const x of [a, b]) await s.waitEvent(x.id, said('PARENT: the explorer reported.'), `${x.name} done`);
    const all = [...intervals('a', await s.events(a.id)), ...intervals('b', await s.events(b.id))];
    expect(all).toHaveLength(8);
    expect(maxOverlap(all)).toBeLessThanOrEqual(2);
    // Once both have tasks running, neither holds both slots again while the other still has work.
    const bothStarted = Math.max(
      ...['a', 'b'].map((n) => Math.min(...all.filter((i) => i.session === n).map((i) => i.start))),
    );
    const bothBusyUntil = Math.min(
      ...['a', 'b'].map((n) => Math.max(...all.filter((i) => i.session === n).map((i) => i.start))),
    );
    for (const n of ['a', 'b'])
      expect(maxOverlap(all, (i) => i.session === n && i.start >= bothStarted && i.start <= bothBusyUntil)).toBe(1);
  });
});
