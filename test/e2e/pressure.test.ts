// Pressure control end to end: a real sylkd whose memory reading comes from a file the test
// writes (SYLK_TEST_PRESSURE_READINGS, daemon/src/pressure/readings.ts) and whose disk quota is
// set through the user config (hot reload). Level changes reach `sylk top --json`, `sylk status
// --json` and, as `notice` events, the loaded session; delegated tasks (spawn_task pipelines)
// are paused under memory pressure and resumed one at a time; a full quota cleans old temp data
// but never an active session's, and refuses a new task with the error and its fix.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';
import { waitFor } from '../helpers/sylk.js';

interface StatusJson {
  daemon: { components: Array<{ name: string; state: string; detail: string }> };
}

interface PressureJson {
  memoryLevel: string;
  memoryUsedBytes: number;
  memoryCeilingBytes: number;
  diskLevel: string;
  diskUsedBytes: number;
  diskQuotaBytes: number;
  pausedPipelines: number;
  components: Array<{ name: string; bytes: number; budgetBytes: number; evictedBytes: number }>;
}

const MiB = 1024 * 1024;
let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** A harness whose daemon reads its memory use from `readings` and samples every 100 ms. */
async function pressureHarness(): Promise<{ s: SessionHarness; setRss: (mb: number) => void }> {
  const s = (harness = await sessionHarness({
    scenario: {
      name: 'pressure',
      apiKey: KEY,
      steps: [
        { name: 'hello', match: { lastUser: 'hello' }, reply: { text: 'hi there' } },
        // Not on the safe list: the turn waits for an approval nobody gives.
        // A delegated task: refused while the disk quota is full (the model reads the error and its fix).
        {
          name: 'delegate',
          match: { lastUser: 'delegate' },
          reply: {
            text: 'Delegating.',
            toolCalls: [
              { id: 'call_task', name: 'spawn_task', arguments: { goal: 'list the files', role: 'explorer' } },
            ],
          },
        },
        { name: 'refused', match: { lastTool: 'disk quota' }, reply: { text: 'The task was refused.' } },
        // Two delegated tasks whose agents stream slowly: they are running when the pressure comes.
        {
          name: 'two-tasks',
          match: { lastUser: 'two tasks' },
          reply: {
            text: 'Delegating two.',
            toolCalls: [
              { id: 'call_a', name: 'spawn_task', arguments: { goal: 'slow task alpha', role: 'explorer' } },
              { id: 'call_b', name: 'spawn_task', arguments: { goal: 'slow task beta', role: 'explorer' } },
            ],
          },
        },
        { name: 'started', match: { lastTool: 'Started task' }, reply: { text: 'Both started.' } },
        {
          name: 'slow',
          match: { lastUser: 'slow task' },
          reply: { text: 'step '.repeat(600), chunkSize: 5, delayMs: 50 },
        },
        {
          name: 'ask',
          match: { lastUser: 'run the tests' },
          reply: {
            text: 'Running them.',
            toolCalls: [{ id: 'call_1', name: 'run_command', arguments: { command: 'node --test' } }],
          },
        },
        { name: 'fallback', reply: { text: 'Done.' } },
      ],
    },
  }));
  const readings = join(s.h.home, 'readings.json');
  // Written whole and renamed: the daemon never reads half a file (that would mean the real reading).
  const setRss = (mb: number) => {
    writeFileSync(`${readings}.tmp`, JSON.stringify({ rss_mb: mb }));
    renameSync(`${readings}.tmp`, readings);
  };
  setRss(100);
  s.h.env.SYLK_TEST_PRESSURE_READINGS = readings;
  appendFileSync(
    join(s.h.home, 'config', 'config.yaml'),
    [
      'resources:',
      '  memory:',
      '    ceiling_mb: 1000',
      '    sample_interval_ms: 100',
      '  disk:',
      '    check_interval_seconds: 1',
      '',
    ].join('\n'),
  );
  return { s, setRss };
}

async function pressure(s: SessionHarness): Promise<PressureJson> {
  return (await s.json<{ pressure: PressureJson }>(['top'])).pressure;
}

async function waitPressure(
  s: SessionHarness,
  pred: (p: PressureJson) => boolean,
  what: string,
): Promise<PressureJson> {
  let last: PressureJson | undefined;
  await waitFor(
    async () => {
      last = await pressure(s);
      return pred(last);
    },
    20_000,
    `${what} (last: ${JSON.stringify(last)})`,
  );
  return last as PressureJson;
}

describe('pressure', () => {
  it('memory thresholds move the level up and down, with notices, in top and status', async () => {
    const { s, setRss } = await pressureHarness();
    // A session waiting on its user (an approval), watched by a client; another idle, watched by nobody.
    const session = await startDetached(s, s.project('app'), 'run the tests');
    const bystander = await startDetached(s, s.project('other'), 'hello');
    await s.waitApproval(session.id);
    await s.waitState(bystander.id, ['idle']);
    const attached = s.spawnCli(['attach', session.id]);
    await waitFor(async () => (await s.session(session.id)).attachedClients === 1, 20_000, 'the client attached');

    const calm = await waitPressure(s, (p) => p.memoryLevel === 'normal', 'normal memory');
    expect(calm).toMatchObject({ memoryUsedBytes: 100 * MiB, memoryCeilingBytes: 1000 * MiB, pausedPipelines: 0 });
    expect(calm.components.map((c) => c.name).sort()).toEqual([
      'background-output',
      'event-buffers',
      'session-runtimes',
    ]);
    expect(calm.components.find((c) => c.name === 'event-buffers')?.budgetBytes).toBe(100 * MiB);

    setRss(850);
    const pressed = await waitPressure(s, (p) => p.memoryLevel === 'pause_new_pipelines', 'pause_new_pipelines at 85%');
    // Eviction unloaded the idle session (it reloads from disk on its next use); the watched one stays.
    expect(pressed.components.find((c) => c.name === 'session-runtimes')?.evictedBytes).toBeGreaterThan(0);
    const loaded = new Map(
      (await s.json<{ sessions: Array<{ id: string; loaded: boolean }> }>(['top'])).sessions.map((x) => [
        x.id,
        x.loaded,
      ]),
    );
    expect(loaded.get(session.id)).toBe(true);
    expect(loaded.get(bystander.id)).toBe(false);
    // Within the hysteresis band (80% − 5%): the level stays.
    setRss(780);
    setRss(970);
    await waitPressure(s, (p) => p.memoryLevel === 'pause_all_but_user', 'pause_all_but_user at 97%');
    const status = await s.json<StatusJson>(['status']);
    expect(status.daemon.components.find((c) => c.name === 'memory')).toMatchObject({
      state: 'pause_all_but_user',
      detail: expect.stringContaining('of 1000.0 MiB ceiling'),
    });
    // Under every threshold minus the hysteresis: back to normal in one move.
    setRss(600);
    await waitPressure(s, (p) => p.memoryLevel === 'normal', 'normal again at 60%');

    const notices = (await s.events(session.id)).filter((e) => e.data.code === 'resources.memory_pressure');
    expect(notices.map((e) => String(e.data.message).split(':')[0])).toEqual([
      'Memory pressure pause new pipelines',
      'Memory pressure pause all but user',
      'Memory pressure normal',
    ]);
    expect(String(notices[0]?.data.message)).toContain('sylkd uses 850.0 MiB of its 1000.0 MiB ceiling (85%');
    expect(String(notices[1]?.data.message)).toContain('only your own requests go on');
    // The attached client saw them live.
    await waitFor(
      () => attached.stdout().includes('Memory pressure normal'),
      10_000,
      'the notices in the attached view',
    );
    // The unloaded session loads again on use.
    expect((await s.cli(['logs', bystander.id])).code).toBe(0);
  });

  it('pauses running pipelines under memory pressure and resumes them one at a time, oldest first', async () => {
    const { s, setRss } = await pressureHarness();
    const session = await startDetached(s, s.project('app'), 'two tasks');
    const states = async () =>
      (await s.events(session.id))
        .filter((e) => e.kind === 'pipeline')
        .map((e) => `${String(e.data.pipeline)} ${String(e.data.state)}`);
    await waitFor(
      async () => (await states()).filter((x) => x.endsWith(' running')).length >= 2,
      30_000,
      'both tasks running',
    );
    setRss(970);
    await waitFor(
      async () => (await states()).filter((x) => x.endsWith(' paused')).length >= 2,
      30_000,
      'both tasks paused',
    );
    expect((await pressure(s)).pausedPipelines).toBe(2);
    const pausedAt = (await states()).length;
    setRss(500);
    await waitFor(
      async () => (await states()).slice(pausedAt).filter((x) => x.endsWith(' running')).length >= 2,
      30_000,
      'both tasks running again',
    );
    const resumed = (await states()).slice(pausedAt).filter((x) => x.endsWith(' running'));
    // Both were paused at once (pause_all_but_user); they come back one per sample, the oldest first.
    expect((await states()).filter((x) => x.endsWith(' paused')).sort()).toEqual(['t1 paused', 't2 paused']);
    expect(resumed).toEqual(['t1 running', 't2 running']);
    expect((await pressure(s)).pausedPipelines).toBe(0);
  });

  it('a full disk quota cleans old temp data of inactive sessions, never an active one, and shows as full', async () => {
    const { s } = await pressureHarness();
    const session = await startDetached(s, s.project('app'), 'hello');
    await s.waitState(session.id, ['idle']);
    const before = await waitPressure(s, (p) => p.diskUsedBytes > 0, 'a first disk measurement');
    expect(before).toMatchObject({ diskLevel: 'ok' });
    // The default quota: 10% of the free space, at least 1 GiB.
    expect(before.diskQuotaBytes).toBeGreaterThanOrEqual(1024 * MiB);

    // Two days old: an inactive session's temp file and spool, and one of the loaded session.
    const temp = join(s.h.home, 'state', 'temp');
    const old = (Date.now() - 48 * 3_600_000) / 1000;
    const plant = (path: string) => {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, Buffer.alloc(256 * 1024, 1));
      utimesSync(path, old, old);
    };
    plant(join(temp, 's_gone', 'scratch.txt'));
    plant(join(temp, 's_gone', 'spool', 'run.log'));
    plant(join(temp, session.id, 'scratch.txt'));

    appendFileSync(join(s.h.home, 'config', 'config.yaml'), '    quota_mb: 1\n');
    const full = await waitPressure(s, (p) => p.diskLevel === 'full', 'the disk quota full at 1 MiB');
    expect(full.diskQuotaBytes).toBe(MiB);
    expect(existsSync(join(temp, 's_gone', 'scratch.txt'))).toBe(false);
    expect(existsSync(join(temp, 's_gone', 'spool', 'run.log'))).toBe(false);
    expect(existsSync(join(temp, session.id, 'scratch.txt'))).toBe(true);

    const status = await s.json<StatusJson>(['status']);
    expect(status.daemon.components.find((c) => c.name === 'disk')).toMatchObject({
      state: 'full',
      detail: expect.stringMatching(/ of 1\.0 MiB quota$/),
    });
    await s.waitEvent(
      session.id,
      (e) => e.data.code === 'resources.disk_quota' && String(e.data.message).startsWith('Disk quota full'),
      'the disk quota notice',
    );
    const top = await s.cli(['top']);
    expect(top.stdout).toMatch(/pressure {3}memory normal .* · disk full /);
    await expectPipelineRefusedWhenDiskFull(s, session.id);
  });
});

/**
 * With the disk quota full, a turn whose model calls spawn_task gets the refusal as the tool's
 * result: the error (use and quota) and its fix (resources.disk.quota_mb), and no task is listed.
 */
async function expectPipelineRefusedWhenDiskFull(s: SessionHarness, sessionId: string): Promise<void> {
  expect((await s.cli(['send', sessionId, 'delegate'])).code).toBe(0);
  await s.waitEvent(
    sessionId,
    (e) => e.kind === 'assistant_message' && String(e.data.text).includes('refused'),
    'the reply to the refusal',
  );
  const finished = (await s.events(sessionId)).filter((e) => e.kind === 'tool_finished');
  const refusal = JSON.stringify(finished.at(-1)?.data);
  expect(refusal).toMatch(/new pipeline refused: Sylk's data uses .* of its 1\.0 MiB disk quota/);
  expect(refusal).toContain('resources.disk.quota_mb');
  // Refused before it was announced: no task is listed (not even as failed).
  expect((await s.events(sessionId)).filter((e) => e.kind === 'pipeline')).toEqual([]);
}
