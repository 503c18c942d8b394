import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '@sylk/core';
import { PipelineScheduler } from '@sylk/resources';
import type { AgentRunHooks, AgentRunOutcome } from './session-pipelines.js';
import { SessionPipelines } from './session-pipelines.js';
import type { PipelineRecord } from './records.js';

let dir: string;
let project: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-pipelines-'));
  project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'a.txt'), 'a\n');
});
afterEach(async () => {
  // The last state's save is written in the background.
  await new Promise((r) => setTimeout(r, 50));
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

type Agent = (task: PipelineRecord, hooks: AgentRunHooks) => Promise<AgentRunOutcome>;

function setup(
  agent: Agent,
  scheduler = new PipelineScheduler({ maxConcurrent: 2, clock: systemClock }),
  redact?: (value: unknown) => unknown,
) {
  const events: Array<{ kind: string; data: Record<string, unknown> }> = [];
  const notes: string[] = [];
  const pipelines = new SessionPipelines({
    sessionId: 's1',
    projectRoot: project,
    sessionDir: dir,
    stagingRoot: join(dir, 'staging'),
    scheduler,
    runAgent: agent,
    post: (kind, data) => events.push({ kind, data }),
    note: (text) => notes.push(text),
    ...(redact !== undefined ? { redact } : {}),
    settings: () => ({ maxPerSession: 3, budgetUsd: 0.05, queueTimeoutSeconds: 60, priority: 60 }),
    clock: systemClock,
    logger: silentLogger(),
  });
  return { pipelines, events, notes, scheduler };
}

const never = new AbortController().signal;

/** Resolves once the signal is aborted (at once if it already is). */
function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted
    ? Promise.resolve()
    : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Polls until `check` holds (the tasks' work is asynchronous; the machine may be busy). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what}`);
}
const spec = (goal: string, over: Partial<Parameters<SessionPipelines['spawn']>[0]> = {}) => ({
  goal,
  role: 'engineer' as const,
  files: [],
  dependsOn: [],
  ...over,
});

/** An agent that spends `usd` per round until stopped, as a looping model would. */
function spender(usd: number): Agent {
  return async (_task, hooks) => {
    while (!hooks.signal.aborted) {
      hooks.emit({
        type: 'usage',
        usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
        costUsd: usd,
      });
      await new Promise((r) => setTimeout(r, 5));
    }
    return { stopReason: 'cancelled', text: '' };
  };
}

describe('SessionPipelines', () => {
  it('stops a task that spends its budget slice, discarding its staged edits', async () => {
    const { pipelines } = setup(async (task, hooks) => {
      await hooks.staging?.write(join(project, 'a.txt'), Buffer.from('changed\n'));
      return spender(0.02)(task, hooks);
    });
    const started = await pipelines.spawn(spec('spend'));
    const [report] = await pipelines.wait([started.id], 10_000, never);
    expect(report).toMatchObject({ state: 'failed', error: 'spent its budget slice ($0.05)' });
    expect(report?.costUsd).toBeGreaterThan(0.05);
    expect(readFileSync(join(project, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('a paused task keeps its conversation and staged edits, and carries on when resumed', async () => {
    const calls: boolean[] = [];
    const { pipelines, scheduler, events } = setup(async (_task, hooks) => {
      calls.push(hooks.resumed);
      if (!hooks.resumed) {
        hooks.history.push({ role: 'user', content: 'first' });
        await hooks.staging?.write(join(project, 'b.txt'), Buffer.from('b\n'));
        await aborted(hooks.signal);
        return { stopReason: 'cancelled', text: '' };
      }
      expect(hooks.history).toEqual([{ role: 'user', content: 'first' }]);
      return { stopReason: 'end_turn', text: 'resumed and done' };
    });
    const t = await pipelines.spawn(spec('pausable'));
    await until(() => calls.length === 1, 'the task started');
    expect(scheduler.pause('s1.t1', 'memory pressure')).toBe(true);
    await until(() => pipelines.list()[0]?.state === 'paused', 'the task paused');
    await until(() => scheduler.state('s1.t1') === 'paused', 'the scheduler holds it paused');
    expect(scheduler.resume('s1.t1')).toBe(true);
    const [report] = await pipelines.wait([t.id], 10_000, never);
    expect(calls).toEqual([false, true]);
    expect(report).toMatchObject({ state: 'done', result: 'resumed and done', merged: ['b.txt'] });
    expect(readFileSync(join(project, 'b.txt'), 'utf8')).toBe('b\n');
    expect(events.filter((e) => e.kind === 'pipeline').map((e) => e.data.state)).toEqual([
      'queued',
      'running',
      'paused',
      'queued',
      'running',
      'done',
    ]);
  });

  it('refuses more unfinished tasks than the limit, and unknown dependencies', async () => {
    const { pipelines } = setup(spender(0));
    for (let i = 0; i < 3; i++) await pipelines.spawn(spec(`t${i}`));
    await expect(pipelines.spawn(spec('one too many'))).rejects.toMatchObject({ code: 'pipelines.too_many' });
    await expect(pipelines.cancel('t9')).rejects.toMatchObject({ code: 'pipelines.unknown_task' });
    await pipelines.cancelAll('test over');
    expect(pipelines.list().map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('sylkd stopping leaves unfinished tasks interrupted, on disk, with their staged edits kept', async () => {
    const { pipelines } = setup(async (_task, hooks) => {
      await hooks.staging?.write(join(project, 'c.txt'), Buffer.from('c\n'));
      await aborted(hooks.signal);
      return { stopReason: 'cancelled', text: '' };
    });
    await pipelines.spawn(spec('long'));
    await until(() => pipelines.list()[0]?.state === 'running', 'the task running');
    await new Promise((r) => setTimeout(r, 50));
    await pipelines.shutdown();
    const [task] = pipelines.list();
    expect(task).toMatchObject({ state: 'interrupted' });
    expect(readFileSync(join(String(task?.stagingDir), 'manifest.json'), 'utf8')).toContain('c.txt');
    // The next daemon reads them back as they ended.
    const again = setup(spender(0)).pipelines;
    expect(again.list().map((t) => [t.id, t.state])).toEqual([['t1', 'interrupted']]);
    expect((await again.spawn(spec('next'))).id).toBe('t2');
    await again.cancelAll('test over');
  });

  it('a task that ends while nobody waits is noted for the model’s next turn', async () => {
    const { pipelines, notes } = setup(async () => ({ stopReason: 'end_turn', text: 'found it' }));
    await pipelines.spawn(spec('quick', { role: 'explorer' }));
    await until(() => notes.length > 0, 'the note');
    expect(notes).toEqual(['task t1 (explorer) ended done; wait_tasks shows its result']);
  });

  it('keeps known secrets out of the tasks file', async () => {
    const hide = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('sk-live-123', '[REDACTED]'));
    const { pipelines } = setup(
      async () => ({ stopReason: 'end_turn', text: 'the key is sk-live-123' }),
      undefined,
      hide,
    );
    const t = await pipelines.spawn(spec('use sk-live-123', { role: 'explorer' }));
    await pipelines.wait([t.id], 10_000, never);
    const file = () =>
      existsSync(join(dir, 'pipelines.json')) ? readFileSync(join(dir, 'pipelines.json'), 'utf8') : '';
    await until(() => file().includes('"done"'), 'the final state saved');
    expect(file()).not.toContain('sk-live-123');
    expect(file()).toContain('the key is [REDACTED]');
  });
});
