import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLogs, isResync } from '@sylk/sessions';
import type { BackgroundHandle } from '@sylk/tools';
import { backgroundOutput, eventBuffers, sessionRuntimes } from './components.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('pressure components', () => {
  it('event-buffers: measures what attached readers hold and drops the largest, which then resync', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sylk-pressure-'));
    dirs.push(dataDir);
    const logs = new EventLogs({ dataDir, backgroundCheckpoints: false, diskReserveBytes: 0, idleCloseMs: 0 });
    const big = logs.get('s_big').subscribe(1);
    const small = logs.get('s_small').subscribe(1);
    for (let i = 0; i < 50; i++) await logs.get('s_big').append('notice', { message: 'x'.repeat(1000), code: 't' });
    await logs.get('s_small').append('notice', { message: 'y', code: 't' });
    const component = eventBuffers(logs);
    const held = component.bytes();
    expect(held).toBeGreaterThan(50_000);
    // Down to 1 KB: the big reader goes, the small one (under the target by then) stays.
    const freed = component.evict?.(1024) ?? 0;
    expect(freed).toBeGreaterThan(50_000);
    expect(component.bytes()).toBe(held - freed);
    expect(await big.next()).toEqual({ done: false, value: { type: 'resync', fromSeq: 1 } });
    const first = await small.next();
    expect(first.done === false && !isResync(first.value) && first.value.kind).toBe('notice');
    for (const id of ['s_big', 's_small']) logs.unload(id);
  });

  it('background-output: every process keeps the same share of its recent output', () => {
    const proc = (bytes: number) => {
      const p = {
        outputBytes: bytes,
        trimOutput(max: number) {
          const dropped = Math.max(0, p.outputBytes - max);
          p.outputBytes -= dropped;
          return dropped;
        },
      };
      return p;
    };
    const list = [proc(800), proc(200)];
    const component = backgroundOutput(() => list as unknown as BackgroundHandle[]);
    expect(component.bytes()).toBe(1000);
    expect(component.evict?.(500)).toBe(500);
    expect(list.map((p) => p.outputBytes)).toEqual([400, 100]);
    expect(component.evict?.(600)).toBe(0);
  });

  it('session-runtimes: unloads quiet sessions, largest conversation first, until under the target', () => {
    const msg = (chars: number) => ({ role: 'user' as const, content: 'x'.repeat(chars) });
    const runtimes = [
      { id: 'small', history: [msg(100)] },
      { id: 'busy', history: [msg(50_000)] },
      { id: 'large', history: [msg(20_000), msg(20_000)] },
    ];
    const unloaded: string[] = [];
    const component = sessionRuntimes({
      loadedRuntimes: () => runtimes,
      unloadIfQuiet: (id) => id !== 'busy' && unloaded.push(id) > 0,
    });
    const total = component.bytes();
    expect(total).toBe(2 * (100 + 50_000 + 40_000) + 4 * 200);
    // The busy one cannot go; the large one is enough.
    const freed = component.evict?.(total - 50_000) ?? 0;
    expect(unloaded).toEqual(['large']);
    expect(freed).toBe(80_000 + 400);
  });
});
