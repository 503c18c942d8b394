import { describe, expect, it } from 'vitest';
import { ManualClock, SylkError } from '@sylk/core';
import { PipelineScheduler } from '@sylk/resources';
import { admitUnderPressure } from './admission.js';

const never = () => new Promise<void>(() => undefined);

describe('admitUnderPressure', () => {
  it('refuses a pipeline when the disk quota is full, holds one under memory pressure, passes one otherwise', () => {
    const scheduler = new PipelineScheduler({ clock: new ManualClock(), maxConcurrent: 4 });
    let full = false;
    let pressed = false;
    const held: string[] = [];
    const admitting = admitUnderPressure(scheduler, () => ({
      assertPipelineAdmissible() {
        if (full) throw new SylkError('full', { code: 'resources.disk_quota_full' });
      },
      holdIfPressed(id) {
        if (!pressed) return false;
        held.push(id);
        return scheduler.pause(id, 'memory pressure');
      },
    }));
    admitting.submit({ id: 'a', sessionId: 's', priority: 1, run: never });
    expect(scheduler.state('a')).toBe('running');
    pressed = true;
    admitting.submit({ id: 'b', sessionId: 's', priority: 1, run: never });
    expect(held).toEqual(['b']);
    full = true;
    expect(() => admitting.submit({ id: 'c', sessionId: 's', priority: 1, run: never })).toThrow(/full/);
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
