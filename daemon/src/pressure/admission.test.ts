import { describe, expect, it } from 'vitest';
import { ManualClock, SylkError } from '@sylk/core';
import { PipelineScheduler } from '@sylk/resources';
import { admitUnderPressure } from './admission.js';

const never = () => new Promise<void>(() => undefined);

describe('admitUnderPressure', () => {
  it('refuses a pipeline when the disk quota is full, submits one paused under memory pressure, passes one otherwise', () => {
    const scheduler = new PipelineScheduler({ clock: new ManualClock(), maxConcurrent: 4 });
    let full = false;
    let pressed = false;
    const held: string[] = [];
    const started: string[] = [];
    const run = (id: string) => () => {
      started.push(id);
      return never();
    };
    const admitting = admitUnderPressure(scheduler, () => ({
      assertPipelineAdmissible() {
        if (full) throw new SylkError('full', { code: 'resources.disk_quota_full' });
      },
      holdReason: () => (pressed ? 'memory pressure' : undefined),
      held: (id) => held.push(id),
    }));
    admitting.submit({ id: 'a', sessionId: 's', priority: 1, run: run('a') });
    expect(scheduler.state('a')).toBe('running');
    pressed = true;
    admitting.submit({ id: 'b', sessionId: 's', priority: 1, run: run('b') });
    expect(held).toEqual(['b']);
    expect(scheduler.state('b')).toBe('paused');
    expect(started).toEqual(['a']); // held before it ever ran
    expect(scheduler.resume('b')).toBe(true);
    expect(started).toEqual(['a', 'b']);
    full = true;
    expect(() => admitting.assertAdmissible()).toThrow(/full/);
    expect(() => admitting.submit({ id: 'c', sessionId: 's', priority: 1, run: run('c') })).toThrow(/full/);
    expect(scheduler.state('c')).toBeUndefined();
    expect(admitting.cancel('a')).toBe(true);
  });

  it('passes everything through before the pressure control exists', () => {
    const scheduler = new PipelineScheduler({ clock: new ManualClock(), maxConcurrent: 1 });
    const admitting = admitUnderPressure(scheduler, () => undefined);
    admitting.submit({ id: 'a', sessionId: 's', priority: 1, run: never });
    expect(scheduler.state('a')).toBe('running');
  });
});
