import { describe, expect, it } from 'vitest';
import { DegradationController, type PressurePipeline } from './degradation.js';
import type { PressureLevel } from './memory.js';

function fleet(pipelines: PressurePipeline[]) {
  const log: string[] = [];
  return {
    log,
    list: () => pipelines,
    pause(id: string, reason?: string) {
      expect(reason).toBe('memory pressure');
      const p = pipelines.find((x) => x.id === id);
      if (p === undefined) throw new Error(`no ${id}`);
      p.state = 'paused';
      log.push(`pause ${id}`);
    },
    resume(id: string) {
      const p = pipelines.find((x) => x.id === id);
      if (p === undefined) throw new Error(`no ${id}`);
      p.state = 'running';
      log.push(`resume ${id}`);
    },
  };
}

const pipe = (
  id: string,
  priority: number,
  startedAt: number,
  extra: Partial<PressurePipeline> = {},
): PressurePipeline => ({
  id,
  sessionId: 's1',
  priority,
  startedAt,
  state: 'running',
  ...extra,
});

describe('DegradationController', () => {
  it('pauses the least valuable first, one per step, and resumes the most valuable first', async () => {
    let level: PressureLevel = 'normal';
    const pipelines = [
      pipe('hi', 5, 1),
      pipe('lo-old', 1, 1),
      pipe('lo-new', 1, 9),
      pipe('mid', 3, 5),
      pipe('later', 9, 10, { state: 'queued' }),
    ];
    const f = fleet(pipelines);
    const c = new DegradationController({ pipelines: f, level: () => level, intervalMs: 1000 });
    expect(await c.step()).toEqual([]);
    expect(c.admitsNewPipelines()).toBe(true);
    level = 'evict';
    await c.step();
    expect(f.log).toEqual([]);
    level = 'pause_new_pipelines';
    expect(c.admitsNewPipelines()).toBe(false);
    await c.step();
    await c.step();
    // Not started yet: paused at once; running ones one per step.
    expect(f.log).toEqual(['pause later', 'pause lo-new', 'pause lo-old']);
    // A new one is submitted paused (never started), then resumed with the others.
    expect(c.holdReason()).toBe('memory pressure');
    pipelines.push(pipe('submitted', 1, 11, { state: 'paused' }));
    c.held('submitted');
    level = 'normal';
    expect(c.holdReason()).toBeUndefined();
    for (let i = 0; i < 5; i++) await c.step();
    expect(f.log.slice(3)).toEqual(['resume later', 'resume lo-old', 'resume lo-new', 'resume submitted']);
    expect(c.pausedByPressure()).toEqual([]);
  });

  it('at pause_all_but_user pauses every pipeline at once except interactive work, and resumes only its own', async () => {
    let level: PressureLevel = 'pause_all_but_user';
    const pipelines = [
      pipe('a', 1, 1),
      pipe('user', 0, 2, { interactive: true }),
      pipe('b', 2, 3),
      pipe('queued', 0, 4, { state: 'cancelled' }),
      pipe('by-user', 0, 5, { state: 'paused' }),
    ];
    const f = fleet(pipelines);
    const actions: string[] = [];
    const c = new DegradationController({
      pipelines: f,
      level: () => level,
      intervalMs: 1000,
      onAction: (a) => actions.push(`${a.action} ${a.pipeline.id} at ${a.level}`),
    });
    await c.step();
    expect(f.log).toEqual(['pause a', 'pause b']);
    expect(actions).toEqual(['pause a at pause_all_but_user', 'pause b at pause_all_but_user']);
    level = 'evict';
    for (let i = 0; i < 4; i++) await c.step();
    expect(f.log.slice(2)).toEqual(['resume b', 'resume a']);
    expect(pipelines.find((p) => p.id === 'by-user')?.state).toBe('paused');
  });

  it('forgets pipelines that ended while paused and reports failures without stopping', async () => {
    const errors: string[] = [];
    const pipelines = [pipe('x', 1, 1), pipe('y', 1, 2)];
    const f = fleet(pipelines);
    let level: PressureLevel = 'pause_all_but_user';
    const c = new DegradationController({
      pipelines: {
        list: f.list,
        resume: f.resume,
        pause: (id, reason) => {
          if (id === 'y') throw new Error('cannot checkpoint');
          f.pause(id, reason);
        },
      },
      level: () => level,
      intervalMs: 1000,
      onError: (e) => errors.push(String(e)),
    });
    await c.step();
    expect(f.log).toEqual(['pause x']);
    expect(errors).toEqual(['Error: pause y: cannot checkpoint']);
    pipelines.splice(0, 1);
    level = 'normal';
    await c.step();
    expect(c.pausedByPressure()).toEqual([]);
  });
});
