import { ManualClock, isSylkError, type SylkError } from '@sylk/core';
import { caughtSylkError } from '@sylk/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FairShare } from './fair-share.js';
import { PipelineScheduler } from './scheduler.js';
import type { PipelineRunContext, PipelineSpec, PipelineState } from './scheduler-types.js';

interface Held {
  id: string;
  ctx: PipelineRunContext;
  finish(): void;
  fail(err: unknown): void;
}

/** A scheduler whose pipelines run until the test finishes them. */
function setup(limit: number, shares?: FairShare) {
  const clock = new ManualClock(0);
  const scheduler = new PipelineScheduler({ maxConcurrent: limit, clock, shares });
  const running = new Map<string, Held>();
  const started: string[] = [];
  const events: Array<[string, PipelineState, string | undefined]> = [];
  scheduler.onChange((id, state, info) => events.push([id, state, info.reason]));
  const spec = (id: string, sessionId: string, extra: Partial<PipelineSpec> = {}): PipelineSpec => ({
    id,
    sessionId,
    priority: 0,
    run: (ctx) =>
      new Promise<void>((resolve, reject) => {
        started.push(id);
        running.set(id, {
          id,
          ctx,
          finish: () => {
            running.delete(id);
            resolve();
          },
          fail: (err) => {
            running.delete(id);
            reject(err);
          },
        });
        // a cooperative pipeline stops when its signal aborts
        ctx.signal.addEventListener('abort', () => {
          running.delete(id);
          reject(ctx.signal.reason);
        });
      }),
    ...extra,
  });
  const finish = async (id: string) => {
    const held = running.get(id);
    if (held === undefined) throw new Error(`${id} is not running`);
    held.finish();
    await flush();
  };
  const bySession = () => {
    const out: Record<string, number> = {};
    for (const id of running.keys()) {
      const s = scheduler.get(id)?.sessionId as string;
      out[s] = (out[s] ?? 0) + 1;
    }
    return out;
  };
  return { scheduler, clock, running, started, events, spec, finish, bySession };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PipelineScheduler fair share', () => {
  it('splits the slots evenly between two busy sessions, whatever the submission order', async () => {
    const clock = new ManualClock(0);
    const shares = new FairShare({ clock });
    for (let i = 0; i < 5; i++) {
      shares.record('a', 'request');
      shares.record('b', 'request');
    }
    const t = setup(4, shares);
    // a submits first and starts eagerly on the free slots
    for (let i = 0; i < 10; i++) t.scheduler.submit(t.spec(`a${i}`, 'a'));
    for (let i = 0; i < 10; i++) t.scheduler.submit(t.spec(`b${i}`, 'b'));
    expect(t.bySession()).toEqual({ a: 4 });
    // slots a frees go to b until both hold their share
    await t.finish('a0');
    await t.finish('a1');
    expect(t.bySession()).toEqual({ a: 2, b: 2 });
    // then a slot goes back to the session that freed it
    await t.finish('a2');
    expect(t.bySession()).toEqual({ a: 2, b: 2 });
    await t.finish('b0');
    await t.finish('b1');
    expect(t.bySession()).toEqual({ a: 2, b: 2 });
    expect(t.started.filter((id) => id.startsWith('a')).length).toBe(5);
    expect(t.started.filter((id) => id.startsWith('b')).length).toBe(4);
    expect(t.scheduler.snapshot().bySession.a).toMatchObject({ running: 2, queued: 5, share: 2 });
    shares.close();
  });

  it('gives a busy session more slots than an idle one, and the idle one at least one', async () => {
    const clock = new ManualClock(0);
    const shares = new FairShare({ clock });
    for (let i = 0; i < 10; i++) shares.record('busy', 'request');
    shares.join('idle');
    const t = setup(4, shares);
    for (let i = 0; i < 10; i++) t.scheduler.submit(t.spec(`i${i}`, 'idle'));
    for (let i = 0; i < 10; i++) t.scheduler.submit(t.spec(`b${i}`, 'busy'));
    expect(t.bySession()).toEqual({ idle: 4 });
    for (const id of ['i0', 'i1', 'i2']) await t.finish(id);
    expect(t.bySession()).toEqual({ busy: 3, idle: 1 });
    await t.finish('i3');
    expect(t.bySession()).toEqual({ busy: 3, idle: 1 });
    await t.finish('b0');
    expect(t.bySession()).toEqual({ busy: 3, idle: 1 });
    shares.close();
  });

  it('holds the global limit with 100 queued pipelines across 10 sessions and runs them all', async () => {
    const clock = new ManualClock(0);
    const scheduler = new PipelineScheduler({ maxConcurrent: 4, clock });
    let running = 0;
    let peak = 0;
    const starts: string[] = [];
    scheduler.onChange(() => expect(scheduler.snapshot().running).toBeLessThanOrEqual(4));
    const specs: PipelineSpec[] = [];
    for (let s = 0; s < 10; s++)
      for (let i = 0; i < 10; i++)
        specs.push({
          id: `s${s}-p${i}`,
          sessionId: `s${s}`,
          priority: 0,
          run: async () => {
            running++;
            peak = Math.max(peak, running);
            starts.push(`s${s}`);
            await flush();
            running--;
          },
        });
    for (const spec of specs) scheduler.submit(spec);
    expect(scheduler.snapshot()).toMatchObject({ limit: 4, running: 4, queued: 96 });
    await scheduler.idle();
    expect(peak).toBe(4);
    // s0 submitted first and took the free slots; as they free, every other session comes next
    expect(starts.slice(0, 4)).toEqual(['s0', 's0', 's0', 's0']);
    expect(new Set(starts.slice(4, 13)).size).toBe(9);
    expect(starts.length).toBe(100);
    expect(scheduler.list()).toEqual([]);
    for (const spec of specs) expect(scheduler.state(spec.id)).toBe('done');
    scheduler.shares.close();
  });

  it('orders within a session by priority, then age', async () => {
    const t = setup(1);
    t.scheduler.submit(t.spec('first', 's'));
    t.scheduler.submit(t.spec('low', 's', { priority: 1 }));
    t.scheduler.submit(t.spec('high', 's', { priority: 5 }));
    t.scheduler.submit(t.spec('low2', 's', { priority: 1 }));
    await t.finish('first');
    await t.finish('high');
    await t.finish('low');
    expect(t.started).toEqual(['first', 'high', 'low', 'low2']);
  });
});

describe('PipelineScheduler runs', () => {
  it('submitted paused never starts until resumed, with a free slot or dependencies pending', async () => {
    const t = setup(2);
    t.scheduler.submit(t.spec('dep', 's'));
    t.scheduler.submit(t.spec('held', 's', { pausedReason: 'memory pressure' }));
    t.scheduler.submit(t.spec('after', 's', { pausedReason: 'memory pressure', dependsOn: ['dep'] }));
    expect(t.started).toEqual(['dep']);
    expect(t.scheduler.state('held')).toBe('paused');
    expect(t.events).toContainEqual(['held', 'paused', 'memory pressure']);
    expect(t.scheduler.resume('held')).toBe(true);
    expect(t.started).toEqual(['dep', 'held']);
    expect(t.scheduler.resume('after')).toBe(true);
    expect(t.scheduler.state('after')).toBe('waiting');
    await t.finish('dep');
    expect(t.started).toEqual(['dep', 'held', 'after']);
  });

  it('records a run that throws, even synchronously, as failed and frees its slot', async () => {
    const t = setup(1);
    const events: Array<[string, PipelineState, PipelineState | null]> = [];
    t.scheduler.onChange((id, state, info) => events.push([id, state, info.from]));
    t.scheduler.submit({
      id: 'sync',
      sessionId: 's',
      priority: 0,
      run: () => {
        throw new Error('boom');
      },
    });
    t.scheduler.submit(t.spec('next', 's'));
    await flush();
    expect(t.scheduler.state('sync')).toBe('failed');
    expect(t.scheduler.state('next')).toBe('running');
    expect(events.slice(0, 4)).toEqual([
      ['sync', 'waiting', null],
      ['sync', 'queued', 'waiting'],
      ['sync', 'running', 'queued'],
      ['next', 'waiting', null],
    ]);
    expect(events).toContainEqual(['sync', 'failed', 'running']);
  });

  it('raises and lowers the limit without stopping running pipelines', async () => {
    const t = setup(1);
    for (const id of ['a', 'b', 'c']) t.scheduler.submit(t.spec(id, 's'));
    t.scheduler.setLimit(3);
    expect(t.scheduler.snapshot()).toMatchObject({ limit: 3, running: 3, queued: 0 });
    t.scheduler.submit(t.spec('d', 's'));
    t.scheduler.setLimit(1);
    await t.finish('a');
    await t.finish('b');
    expect(t.scheduler.state('d')).toBe('queued');
    await t.finish('c');
    expect(t.scheduler.state('d')).toBe('running');
    expect(() => t.scheduler.setLimit(0)).toThrow(/positive integer/);
  });
});

describe('PipelineScheduler dependencies', () => {
  it('refuses cycles, naming them, and adds nothing of the batch', () => {
    const t = setup(2);
    t.scheduler.submit(t.spec('x', 's'));
    const err = caughtSylkError(() =>
      t.scheduler.submitMany([
        t.spec('a', 's', { dependsOn: ['x', 'c'] }),
        t.spec('b', 's', { dependsOn: ['a'] }),
        t.spec('c', 's', { dependsOn: ['b'] }),
      ]),
    );
    expect(err.code).toBe('resources.dependency_cycle');
    expect(err.tier).toBe('permanent');
    expect(err.message).toContain('a → c → b → a');
    expect(t.scheduler.state('a')).toBeUndefined();
    const self = caughtSylkError(() => t.scheduler.submit(t.spec('me', 's', { dependsOn: ['me'] })));
    expect(self.code).toBe('resources.dependency_cycle');
  });

  it('refuses cycles through pipelines that are waiting or queued, not yet running', () => {
    const t = setup(1);
    t.scheduler.submit(t.spec('blocker', 's'));
    t.scheduler.submit(t.spec('queued', 's'));
    t.scheduler.submit(t.spec('waiting', 's', { dependsOn: ['queued'] }));
    expect(t.scheduler.state('waiting')).toBe('waiting');
    const err = caughtSylkError(() =>
      t.scheduler.submitMany([
        t.spec('p', 's', { dependsOn: ['waiting', 'q'] }),
        t.spec('q', 's', { dependsOn: ['p'] }),
      ]),
    );
    expect(err.code).toBe('resources.dependency_cycle');
    expect(err.message).toContain('p → q → p');
  });

  it('refuses unknown dependencies and duplicate ids', () => {
    const t = setup(1);
    expect(caughtSylkError(() => t.scheduler.submit(t.spec('a', 's', { dependsOn: ['nope'] }))).code).toBe(
      'resources.unknown_dependency',
    );
    t.scheduler.submit(t.spec('a', 's'));
    expect(caughtSylkError(() => t.scheduler.submit(t.spec('a', 's'))).code).toBe('resources.duplicate_pipeline');
  });

  it('runs dependents after their dependencies and cancels them when one fails', async () => {
    const t = setup(4);
    t.scheduler.submitMany([
      t.spec('build', 's'),
      t.spec('test', 's', { dependsOn: ['build'] }),
      t.spec('lint', 's'),
      t.spec('ship', 's', { dependsOn: ['test', 'lint'] }),
    ]);
    expect(t.started).toEqual(['build', 'lint']);
    await t.finish('build');
    expect(t.started).toEqual(['build', 'lint', 'test']);
    t.running.get('test')?.fail(new Error('tests failed'));
    await flush();
    expect(t.scheduler.state('test')).toBe('failed');
    expect(t.scheduler.state('ship')).toBe('cancelled');
    expect(t.events).toContainEqual(['ship', 'cancelled', 'dependency test failed']);
    // a new dependent of a failed pipeline is cancelled at once
    t.scheduler.submit(t.spec('late', 's', { dependsOn: ['test'] }));
    expect(t.scheduler.state('late')).toBe('cancelled');
  });
});

describe('PipelineScheduler cancel, pause and timeout', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cancels from every state, and a cancelled dependency cancels its dependents', async () => {
    const t = setup(1);
    t.scheduler.submit(t.spec('run', 's'));
    t.scheduler.submit(t.spec('queued', 's'));
    t.scheduler.submit(t.spec('waiting', 's', { dependsOn: ['queued'] }));
    t.scheduler.submit(t.spec('paused', 's'));
    t.scheduler.pause('paused');
    expect(['run', 'queued', 'waiting', 'paused'].map((id) => t.scheduler.state(id))).toEqual([
      'running',
      'queued',
      'waiting',
      'paused',
    ]);

    expect(t.scheduler.cancel('paused', 'not needed')).toBe(true);
    expect(t.scheduler.state('paused')).toBe('cancelled');
    expect(t.scheduler.cancel('queued', 'user asked')).toBe(true);
    expect(t.scheduler.state('queued')).toBe('cancelled');
    expect(t.scheduler.state('waiting')).toBe('cancelled');
    expect(t.events).toContainEqual(['waiting', 'cancelled', 'dependency queued was cancelled']);

    t.scheduler.submit(t.spec('next', 's'));
    t.scheduler.submit(t.spec('w2', 's', { dependsOn: ['next'] }));
    expect(t.scheduler.cancel('w2')).toBe(true);
    expect(t.scheduler.state('w2')).toBe('cancelled');

    const signal = t.running.get('run')?.ctx.signal as AbortSignal;
    expect(t.scheduler.cancel('run', 'stop it')).toBe(true);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as SylkError).code).toBe('resources.cancelled');
    expect(t.scheduler.cancel('run')).toBe(false);
    await flush();
    expect(t.scheduler.state('run')).toBe('cancelled');
    // the slot freed when run settled
    expect(t.scheduler.state('next')).toBe('running');
    expect(t.scheduler.cancel('run')).toBe(false);
    expect(t.scheduler.cancel('unknown')).toBe(false);
  });

  it('times out a pipeline that waits too long for a slot, and cancels its dependents', async () => {
    const t = setup(1);
    t.scheduler.submit(t.spec('hog', 's'));
    t.scheduler.submit(t.spec('late', 's', { queueTimeoutMs: 1000 }));
    t.scheduler.submit(t.spec('after', 's', { dependsOn: ['late'] }));
    let error: unknown;
    t.scheduler.onChange((id, state, info) => {
      if (id === 'late' && state === 'timed_out') error = info.error;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(t.scheduler.state('late')).toBe('queued');
    await vi.advanceTimersByTimeAsync(1);
    expect(t.scheduler.state('late')).toBe('timed_out');
    expect(isSylkError(error) && error.code).toBe('resources.queue_timeout');
    expect(isSylkError(error) && error.tier).toBe('transient');
    expect(isSylkError(error) && error.hint).toContain('sylk top');
    expect(t.scheduler.state('after')).toBe('cancelled');
    expect(t.events).toContainEqual(['after', 'cancelled', 'dependency late timed out']);
    // a pipeline that starts in time is not timed out later
    t.scheduler.submit(t.spec('ok', 's', { queueTimeoutMs: 1000 }));
    await t.finish('hog');
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.scheduler.state('ok')).toBe('running');
  });

  it('pauses a running pipeline (its slot goes to the next) and resumes it ahead of its peers', async () => {
    const t = setup(1);
    t.scheduler.submit(t.spec('a', 's'));
    t.scheduler.submit(t.spec('b', 's'));
    t.scheduler.submit(t.spec('c', 's'));
    const first = t.running.get('a')?.ctx as PipelineRunContext;
    expect(t.scheduler.pause('a', 'memory pressure')).toBe(true);
    expect((first.signal.reason as SylkError).code).toBe('resources.paused');
    await flush();
    expect(t.scheduler.state('a')).toBe('paused');
    expect(t.events).toContainEqual(['a', 'paused', 'memory pressure']);
    expect(t.scheduler.state('b')).toBe('running');
    expect(t.scheduler.snapshot()).toMatchObject({ running: 1, queued: 1, paused: 1 });
    expect(t.scheduler.resume('a')).toBe(true);
    expect(t.scheduler.state('a')).toBe('queued');
    await t.finish('b');
    // a went ahead of c, and knows it is a second attempt
    expect(t.scheduler.state('a')).toBe('running');
    expect(t.running.get('a')?.ctx.attempt).toBe(1);
    await t.finish('a');
    await t.finish('c');
    await t.scheduler.idle();
    expect(t.started).toEqual(['a', 'b', 'a', 'c']);
  });

  it('resumes a pipeline paused while running as soon as its run settles, if resumed meanwhile', async () => {
    const t = setup(2);
    t.scheduler.submit(t.spec('a', 's'));
    t.scheduler.pause('a');
    expect(t.scheduler.resume('a')).toBe(true);
    await flush();
    expect(t.scheduler.state('a')).toBe('running');
    expect(t.running.get('a')?.ctx.attempt).toBe(1);
  });
});
