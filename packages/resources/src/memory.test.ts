import { describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import {
  DEFAULT_MEMORY_THRESHOLDS,
  MemoryMonitor,
  defaultMemoryCeilingBytes,
  levelFor,
  type LevelChange,
  type MemoryComponent,
  type IntervalTimers,
} from './memory.js';

const MiB = 1024 * 1024;

/** IntervalTimers that only fire when the test says so. */
function manualTimers(): IntervalTimers & { fire(): void; active: number } {
  const fns = new Map<number, () => void>();
  let next = 1;
  return {
    setInterval(fn) {
      fns.set(next, fn);
      return next++;
    },
    clearInterval(handle) {
      fns.delete(handle as number);
    },
    fire() {
      for (const fn of fns.values()) fn();
    },
    get active() {
      return fns.size;
    },
  };
}

/** A component holding `held` bytes that gives back what it is asked to. */
function cache(name: string, held: number, evictable = true): MemoryComponent & { held: number; asked: number[] } {
  const c = {
    name,
    held,
    asked: [] as number[],
    bytes: () => c.held,
    ...(evictable
      ? {
          evict(target: number) {
            c.asked.push(target);
            const freed = Math.max(0, c.held - target);
            c.held -= freed;
            return freed;
          },
        }
      : {}),
  };
  return c;
}

function monitor(reading: { used: number }, extra: Partial<ConstructorParameters<typeof MemoryMonitor>[0]> = {}) {
  const changes: LevelChange[] = [];
  const timers = manualTimers();
  const m = new MemoryMonitor({
    ceilingBytes: () => 100 * MiB,
    readUsedBytes: () => reading.used,
    intervalMs: 1000,
    clock: new ManualClock(1000),
    timers,
    onLevelChange: (c) => changes.push(c),
    ...extra,
  });
  return { m, changes, timers };
}

describe('levelFor', () => {
  const t = DEFAULT_MEMORY_THRESHOLDS;
  it('goes up as soon as a threshold is reached, skipping levels', () => {
    expect(levelFor(0.69, 'normal', t, 0.05)).toBe('normal');
    expect(levelFor(0.7, 'normal', t, 0.05)).toBe('evict');
    expect(levelFor(0.8, 'evict', t, 0.05)).toBe('pause_new_pipelines');
    expect(levelFor(0.97, 'normal', t, 0.05)).toBe('pause_all_but_user');
  });
  it('comes down only once the use is the hysteresis below the threshold', () => {
    expect(levelFor(0.92, 'pause_all_but_user', t, 0.05)).toBe('pause_all_but_user');
    expect(levelFor(0.89, 'pause_all_but_user', t, 0.05)).toBe('pause_new_pipelines');
    expect(levelFor(0.76, 'pause_new_pipelines', t, 0.05)).toBe('pause_new_pipelines');
    expect(levelFor(0.5, 'pause_all_but_user', t, 0.05)).toBe('normal');
    expect(levelFor(0.66, 'evict', t, 0.05)).toBe('evict');
    expect(levelFor(0.64, 'evict', t, 0.05)).toBe('normal');
  });
});

describe('MemoryMonitor', () => {
  it('samples on its interval and reports each level change once, without flapping', () => {
    const reading = { used: 10 * MiB };
    const { m, changes, timers } = monitor(reading);
    m.start();
    expect(m.currentLevel).toBe('normal');
    reading.used = 81 * MiB;
    timers.fire();
    expect(changes.map((c) => c.to)).toEqual(['pause_new_pipelines']);
    // Hovering around the 80% threshold does not flap.
    for (const used of [79, 80.5, 77, 81, 76]) {
      reading.used = used * MiB;
      timers.fire();
    }
    expect(changes.map((c) => c.to)).toEqual(['pause_new_pipelines']);
    reading.used = 96 * MiB;
    timers.fire();
    reading.used = 40 * MiB;
    timers.fire();
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual([
      'normal>pause_new_pipelines',
      'pause_new_pipelines>pause_all_but_user',
      'pause_all_but_user>normal',
    ]);
    expect(changes[1]).toMatchObject({ usedBytes: 96 * MiB, ceilingBytes: 100 * MiB, at: 1000 });
    m.stop();
    expect(timers.active).toBe(0);
  });

  it('asks components over budget to shrink to it, then the largest for what is still over', () => {
    const reading = { used: 90 * MiB };
    const evicted: number[] = [];
    const { m } = monitor(reading, { onEvicted: (b) => evicted.push(b) });
    const overBudget = cache('events', 8 * MiB);
    const big = cache('runtimes', 30 * MiB);
    const fixed = cache('encoders', 50 * MiB, false);
    m.register(overBudget, 5 * MiB);
    m.register(big, 40 * MiB);
    m.register(fixed, 1 * MiB);
    const state = m.sample();
    // 90 MiB used, target (0.70 - 0.05) * 100 = 65 MiB: 25 MiB to free; 3 over budget, 22 from the largest evictable.
    expect(overBudget.asked).toEqual([5 * MiB]);
    expect(big.asked).toEqual([8 * MiB]);
    expect(evicted).toEqual([25 * MiB]);
    expect(state.components.find((c) => c.name === 'runtimes')).toMatchObject({
      bytes: 8 * MiB,
      evictedBytes: 22 * MiB,
    });
  });

  it('evicts nothing at the normal level, and survives failing readings and components', () => {
    const reading = { used: 10 * MiB };
    const errors: string[] = [];
    const { m } = monitor(reading, { onError: (_e, where) => errors.push(where) });
    const c = cache('c', 50 * MiB);
    m.register(c, 1 * MiB);
    m.sample();
    expect(c.asked).toEqual([]);
    m.register(
      {
        name: 'broken',
        bytes: () => 1,
        evict: () => {
          throw new Error('no');
        },
      },
      0,
    );
    reading.used = 75 * MiB;
    expect(m.sample().level).toBe('evict');
    expect(errors).toContain('eviction');
    const bad = new MemoryMonitor({
      ceilingBytes: () => 1,
      readUsedBytes: () => {
        throw new Error('unreadable');
      },
      intervalMs: 1,
      clock: new ManualClock(),
      onError: (_e, where) => errors.push(where),
    });
    expect(bad.sample().level).toBe('normal');
    expect(errors).toContain('memory reading');
  });

  it('unregisters a component', () => {
    const { m } = monitor({ used: 0 });
    const off = m.register(cache('x', 1), 1);
    expect(m.state().components).toHaveLength(1);
    off();
    expect(m.state().components).toHaveLength(0);
  });

  it('derives a default ceiling from the machine memory', () => {
    expect(defaultMemoryCeilingBytes(1024 * MiB)).toBe(512 * MiB);
    expect(defaultMemoryCeilingBytes(8192 * MiB)).toBe(2048 * MiB);
    expect(defaultMemoryCeilingBytes(64 * 1024 * MiB)).toBe(4096 * MiB);
  });
});
