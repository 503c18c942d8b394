import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import { BreakerRegistry } from './breaker-registry.js';
import type { BreakerSnapshot } from './breaker.js';
import { tempSystemDb } from './testing/system-db.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function registry(clock = new ManualClock(1_000_000)) {
  const changes: BreakerSnapshot[] = [];
  const reg = new BreakerRegistry({ clock, logger: silentLogger(), onChange: (s) => changes.push(s) });
  return { reg, clock, changes, b: reg.get('llm:anthropic') };
}

describe('CircuitBreaker', () => {
  it('trips after 5 consecutive failures; a success in between resets the count', () => {
    const { b } = registry();
    for (let i = 0; i < 4; i++) b.record(false, false);
    b.record(true, false);
    for (let i = 0; i < 4; i++) b.record(false, false);
    expect(b.snapshot().state).toBe('closed');
    b.record(false, false);
    expect(b.snapshot().state).toBe('open');
    expect(b.decide()).toBe('open');
  });

  it('trips on a 50% failure rate once 20 outcomes exist', () => {
    const { b } = registry();
    // Alternate: never 5 in a row, 50% failures.
    for (let i = 0; i < 19; i++) b.record(i % 2 === 0, false);
    expect(b.snapshot().state).toBe('closed');
    b.record(false, false);
    expect(b.snapshot().state).toBe('open');
  });

  it('allows one probe at a time after the cooldown, closes after 3 good probes', () => {
    const { b, clock } = registry();
    for (let i = 0; i < 5; i++) b.record(false, false);
    clock.advance(29_999);
    expect(b.decide()).toBe('open');
    clock.advance(1);
    const decisions = Array.from({ length: 50 }, () => b.decide());
    expect(decisions.filter((d) => d === 'probe')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'busy')).toHaveLength(49);
    b.record(true, true);
    expect(b.decide()).toBe('probe');
    b.record(true, true);
    expect(b.decide()).toBe('probe');
    b.record(true, true);
    expect(b.snapshot().state).toBe('closed');
    expect(b.decide()).toBe('allow');
  });

  it('reopens with a fresh cooldown when a probe fails; ignores stale non-probe results', () => {
    const { b, clock } = registry();
    for (let i = 0; i < 5; i++) b.record(false, false);
    clock.advance(30_000);
    expect(b.decide()).toBe('probe');
    b.record(true, false); // a request from before the trip finishing late
    expect(b.snapshot().state).toBe('half_open');
    b.record(false, true);
    expect(b.snapshot()).toMatchObject({ state: 'open', cooldownEnds: clock.now() + 30_000 });
  });

  it('manual reset closes it; breakers are independent', () => {
    const { reg, b } = registry();
    for (let i = 0; i < 5; i++) b.record(false, false);
    expect(reg.get('llm:openai').decide()).toBe('allow');
    reg.reset('llm:anthropic');
    expect(b.decide()).toBe('allow');
    expect(reg.list().map((s) => [s.id, s.state])).toEqual([
      ['llm:anthropic', 'closed'],
      ['llm:openai', 'closed'],
    ]);
  });

  it('persists state so an open breaker survives a restart', () => {
    const sys = tempSystemDb();
    cleanups.push(sys.cleanup);
    const clock = new ManualClock(5_000_000);
    const first = new BreakerRegistry({ clock, logger: silentLogger(), db: sys.db });
    for (let i = 0; i < 5; i++) first.get('llm:google').record(false, false);
    clock.advance(10_000);
    const second = new BreakerRegistry({ clock, logger: silentLogger(), db: sys.reopen() });
    expect(second.list()).toEqual([
      expect.objectContaining({ id: 'llm:google', state: 'open', failures: 5, cooldownEnds: 5_030_000 }),
    ]);
    expect(second.get('llm:google').decide()).toBe('open');
    clock.advance(20_000);
    expect(second.get('llm:google').decide()).toBe('probe');
  });
});
