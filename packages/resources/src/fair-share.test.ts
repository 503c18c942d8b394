import { ManualClock, type TimerHandle, type Timers } from '@sylk/core';
import { describe, expect, it } from 'vitest';
import { FairShare, apportion, reserveUnits } from './fair-share.js';

/** Timers that only fire when the test says so. */
function manualTimers(): Timers & { fire(): void; pending(): number } {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (fn) => {
      pending.set(++next, fn);
      return next;
    },
    clearTimeout: (handle: TimerHandle) => void pending.delete(handle as number),
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
    pending: () => pending.size,
  };
}

function setup(extra: Partial<ConstructorParameters<typeof FairShare>[0]> = {}) {
  const clock = new ManualClock(0);
  const timers = manualTimers();
  const shares = new FairShare({ clock, timers, ...extra });
  return { clock, timers, shares };
}

describe('reserveUnits', () => {
  it('rounds the reserve up but leaves pipelines at least one unit', () => {
    expect(reserveUnits(1, 0.2)).toBe(0);
    expect(reserveUnits(2, 0.2)).toBe(1);
    expect(reserveUnits(4, 0.2)).toBe(1);
    expect(reserveUnits(10, 0.2)).toBe(2);
    expect(reserveUnits(15, 0.2)).toBe(3);
    expect(reserveUnits(10, 0)).toBe(0);
  });
});

describe('apportion', () => {
  it('splits whole units by weight without over-allocating, at least one each', () => {
    const out = apportion(
      8,
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]),
    );
    expect([...out.values()].reduce((a, b) => a + b)).toBe(8);
    expect(Math.max(...out.values()) - Math.min(...out.values())).toBeLessThanOrEqual(1);
    const skewed = apportion(
      8,
      new Map([
        ['busy', 10],
        ['idle', 0.1],
      ]),
    );
    expect(skewed.get('idle')).toBe(1);
    expect(skewed.get('busy')).toBe(7);
  });
});

describe('FairShare', () => {
  it('gives a lone session everything but the reserve', () => {
    const { shares } = setup();
    shares.join('a');
    expect(shares.fraction('a')).toBeCloseTo(0.8);
    expect(shares.shareOf('a', 10)).toBe(8);
    expect(shares.shareOf('unknown', 10)).toBe(0);
  });

  it('splits evenly between two equally busy sessions', () => {
    const { shares } = setup();
    for (let i = 0; i < 5; i++) {
      shares.record('a', 'request');
      shares.record('b', 'request');
    }
    shares.record('a', 'pipeline_started');
    shares.record('b', 'pipeline_started');
    expect(shares.fraction('a')).toBeCloseTo(0.4);
    expect(shares.fraction('b')).toBeCloseTo(0.4);
    expect(shares.shareOf('a', 10)).toBe(4);
    expect(shares.shareOf('b', 10)).toBe(4);
  });

  it('gives a busy session more than an idle one, which keeps a baseline slot', () => {
    const { shares } = setup();
    shares.join('idle');
    for (let i = 0; i < 4; i++) shares.record('busy', 'request');
    shares.record('busy', 'pipeline_started');
    expect(shares.isActive('busy')).toBe(true);
    expect(shares.isActive('idle')).toBe(false);
    expect(shares.fraction('busy')).toBeGreaterThan(shares.fraction('idle'));
    expect(shares.shareOf('idle', 10)).toBe(1);
    expect(shares.shareOf('busy', 10)).toBe(7);
    const total = [...shares.sharesOf(10).values()].reduce((a, b) => a + b);
    expect(total).toBeLessThanOrEqual(10 - reserveUnits(10, 0.2));
  });

  it('decays requests with the half-life and stops its timer once nothing decays', () => {
    const { shares, clock, timers } = setup({ halfLifeMs: 1000 });
    shares.record('a', 'request');
    shares.record('a', 'request');
    expect(shares.score('a')).toBeCloseTo(2);
    expect(timers.pending()).toBe(1);
    clock.advance(1000);
    expect(shares.score('a')).toBeCloseTo(1);
    clock.advance(10_000);
    timers.fire();
    expect(shares.score('a')).toBeLessThan(0.01);
    expect(timers.pending()).toBe(0);
  });

  it('announces only moves of more than 10 points, not to the session that joins or leaves', () => {
    const { shares, clock, timers } = setup({ halfLifeMs: 1000 });
    const notices: Array<[string, number, number]> = [];
    shares.onShareChange((id, from, to) => notices.push([id, Math.round(from * 100), Math.round(to * 100)]));
    shares.join('a');
    expect(notices).toEqual([]);
    shares.join('b');
    expect(notices).toEqual([['a', 80, 40]]);
    notices.length = 0;
    for (let i = 0; i < 9; i++) shares.record('a', 'request');
    // told once the move passes 10 points (then from the new value on)
    expect(notices[0]).toEqual(['a', 40, 73]);
    expect(notices[1]).toEqual(['b', 40, 7]);
    for (const [, from, to] of notices) expect(Math.abs(to - from)).toBeGreaterThan(10);
    notices.length = 0;
    // the requests decay: the shares move back and are announced by the periodic rebalance
    clock.advance(20_000);
    timers.fire();
    expect(notices.find(([id]) => id === 'a')?.[2]).toBe(40);
    notices.length = 0;
    // a small move: no notice
    for (let i = 0; i < 5; i++) shares.record('a', 'pipeline_started');
    for (let i = 0; i < 5; i++) shares.record('b', 'pipeline_started');
    notices.length = 0;
    shares.record('a', 'request');
    expect(notices).toEqual([]);
    shares.close();
  });
});
