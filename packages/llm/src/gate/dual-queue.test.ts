import { describe, expect, it } from 'vitest';
import { DualQueue } from './dual-queue.js';
import type { QueueEntry } from './dual-queue.js';

let seq = 0;
const entry = (priority: number, user = false, name = ''): QueueEntry & { name: string } => ({
  user,
  priority,
  seq: ++seq,
  ahead: false,
  queued: false,
  name,
});

function drainNames(q: DualQueue<QueueEntry & { name: string }>): string[] {
  const out: string[] = [];
  for (let e = q.shift(); e !== undefined; e = q.shift()) out.push(e.name);
  return out;
}

describe('DualQueue', () => {
  it('orders pipeline requests by priority, FIFO within a priority, user requests first', () => {
    const q = new DualQueue<QueueEntry & { name: string }>(10);
    q.offer(entry(20, false, 'bg1'));
    q.offer(entry(60, false, 'exec1'));
    q.offer(entry(80, false, 'plan1'));
    q.offer(entry(60, false, 'exec2'));
    q.offer(entry(100, true, 'user1'));
    q.offer(entry(20, false, 'bg2'));
    q.offer(entry(100, true, 'user2'));
    expect(drainNames(q)).toEqual(['user1', 'user2', 'plan1', 'exec1', 'exec2', 'bg1', 'bg2']);
  });

  it('rejects pipeline entries beyond capacity but never user entries', () => {
    const q = new DualQueue<QueueEntry & { name: string }>(2);
    expect(q.offer(entry(60))).toBe(true);
    expect(q.offer(entry(60))).toBe(true);
    expect(q.offer(entry(60))).toBe(false);
    for (let i = 0; i < 100; i++) expect(q.offer(entry(100, true))).toBe(true);
    expect(q.pipelineDepth).toBe(2);
    expect(q.userDepth).toBe(100);
  });

  it('puts a re-queued entry ahead of its priority peers, past the bound', () => {
    const q = new DualQueue<QueueEntry & { name: string }>(2);
    const victim = entry(60, false, 'victim');
    q.offer(entry(60, false, 'a'));
    q.offer(entry(60, false, 'b'));
    q.requeue(victim);
    q.offer(entry(80, false, 'high')); // full: refused
    expect(q.pipelineDepth).toBe(3);
    expect(drainNames(q)).toEqual(['victim', 'a', 'b']);
  });

  it('skips removed entries and keeps depths right', () => {
    const q = new DualQueue<QueueEntry & { name: string }>(10);
    const a = entry(60, false, 'a');
    const u = entry(100, true, 'u');
    q.offer(a);
    q.offer(entry(60, false, 'b'));
    q.offer(u);
    expect(q.remove(a)).toBe(true);
    expect(q.remove(u)).toBe(true);
    expect(q.remove(a)).toBe(false);
    expect([q.userDepth, q.pipelineDepth]).toEqual([0, 1]);
    expect(drainNames(q)).toEqual(['b']);
  });

  it('loses nothing over 10,000 interleaved operations', () => {
    const q = new DualQueue<QueueEntry & { name: string }>(100_000);
    const seen = new Set<string>();
    let offered = 0;
    const priorities = [20, 40, 60, 80, 100];
    for (let i = 0; i < 10_000; i++) {
      q.offer(entry(priorities[i % 5] as number, i % 7 === 0, `e${i}`));
      offered++;
      if (i % 3 === 0) {
        const e = q.shift();
        if (e) seen.add(e.name);
      }
    }
    for (const name of drainNames(q)) seen.add(name);
    expect(seen.size).toBe(offered);
  });
});
