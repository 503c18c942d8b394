import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@sylk/core';
import type { BackgroundHandle, ExecResult } from '@sylk/tools';
import { KEEP_ENDED, ProcessHistory, endedProcessIn, sessionProcessList } from './process-history.js';
import { ProcessNotes } from './background-processes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-process-history-'));
  mkdirSync(join(dir, 'spool'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const history = (redact?: (text: string) => string) =>
  new ProcessHistory({
    sessionId: 's1',
    sessionDir: join(dir, 'session'),
    spoolDir: join(dir, 'spool'),
    logger: silentLogger(),
    ...(redact !== undefined ? { redact } : {}),
  });

/** A handle as the registry hands it over once its process ended. */
function ended(id: string, over: Partial<ExecResult> = {}, stopped = false): [BackgroundHandle, ExecResult] {
  const result = {
    exitCode: 3,
    signal: null,
    durationMs: 1500.4,
    output: { rawBytes: 12 },
    ...over,
  } as ExecResult;
  const handle = {
    id,
    sessionId: 's1',
    command: 'node ticker.js 3',
    pid: 42,
    record: { startedAt: 1000 },
    result,
    stopRequested: stopped,
    running: false,
  } as unknown as BackgroundHandle;
  return [handle, result];
}

describe('ProcessHistory', () => {
  it('keeps ended processes newest first, bounded, with how they ended', () => {
    const h = history();
    expect(h.list()).toEqual([]);
    h.add(...ended('bg_A'));
    h.add(...ended('bg_B', { exitCode: null, signal: 'SIGINT' }, true));
    expect(h.list()).toEqual([
      expect.objectContaining({ id: 'bg_B', state: 'stopped', exitCode: null, signal: 'SIGINT' }),
      expect.objectContaining({ id: 'bg_A', state: 'exited', exitCode: 3, durationMs: 1500, sessionId: 's1' }),
    ]);
    for (let i = 0; i < KEEP_ENDED + 5; i++) h.add(...ended(`bg_${i}`));
    const kept = history().list();
    expect(kept).toHaveLength(KEEP_ENDED);
    expect(kept[0]?.id).toBe(`bg_${KEEP_ENDED + 4}`);
  });

  it('keeps no secret of a command line, and ignores what it cannot trust in its file', () => {
    history((t) => t.replaceAll('ticker', '[REDACTED]')).add(...ended('bg_A'));
    expect(history().list()[0]?.command).toBe('node [REDACTED].js 3');
    writeFileSync(
      join(dir, 'session', 'background.json'),
      JSON.stringify([{ id: '../../etc/passwd', command: 'x', pid: 1, state: 'exited', startedAt: 1, durationMs: 1 }]),
    );
    expect(history().list()).toEqual([]);
  });

  it('reads its output back from the spool: the newest MiB, from an offset', async () => {
    const h = history();
    h.add(...ended('bg_A'));
    const [p] = h.list();
    if (p === undefined) throw new Error('unreachable');
    writeFileSync(join(dir, 'spool', 'bg_A.log'), 'ready\ntick 1\n');
    expect(await h.read(p)).toEqual({ text: 'ready\ntick 1\n', nextOffset: 13, truncated: false });
    expect(await h.read(p, 6)).toEqual({ text: 'tick 1\n', nextOffset: 13, truncated: false });
    writeFileSync(join(dir, 'spool', 'bg_A.log'), 'x'.repeat(1024 * 1024 + 10));
    const big = await h.read(p);
    expect(big.truncated).toBe(true);
    expect(big.text).toHaveLength(1024 * 1024);
    expect(big.nextOffset).toBe(1024 * 1024 + 10);
  });

  it('a spool cleaned away reads as output no longer held', async () => {
    const h = history();
    h.add(...ended('bg_A'));
    h.add(...ended('bg_B', { output: { rawBytes: 0 } as ExecResult['output'] }));
    const [b, a] = h.list();
    expect(await h.read(a as never)).toEqual({ text: '', nextOffset: 0, truncated: true });
    expect(await h.read(b as never)).toEqual({ text: '', nextOffset: 0, truncated: false });
    // A link a command put in the spool's place is not followed.
    writeFileSync(join(dir, 'secret'), 'not for ps logs\n');
    symlinkSync(join(dir, 'secret'), join(dir, 'spool', 'bg_A.log'));
    expect((await h.read(a as never)).text).toBe('');
  });

  it('gives the model’s tools a kept process: how it ended and its output from the spool', async () => {
    const h = history();
    h.add(...ended('bg_A'));
    h.add(...ended('bg_B', { exitCode: null, signal: 'SIGTERM' }, true));
    writeFileSync(join(dir, 'spool', 'bg_A.log'), 'ready\ntick 1\n');
    const a = endedProcessIn(h, 'bg_A');
    expect(a).toMatchObject({ id: 'bg_A', command: 'node ticker.js 3', stopped: false, exitCode: 3, signal: null });
    expect(await a?.read(6)).toEqual({ text: 'tick 1\n', nextOffset: 13, truncated: false });
    expect(endedProcessIn(h, 'bg_B')).toMatchObject({ stopped: true, exitCode: null, signal: 'SIGTERM' });
    expect(endedProcessIn(h, 'bg_none')).toBeUndefined();
  });

  it('lists a loaded session’s own handles first, then what it kept from before', () => {
    const h = history();
    h.add(...ended('bg_OLD'));
    h.add(...ended('bg_A'));
    const [live] = ended('bg_A');
    const listed = sessionProcessList(h, [live]);
    expect(listed.map((p) => [p.summary.id, p.handle !== undefined])).toEqual([
      ['bg_A', true],
      ['bg_OLD', false],
    ]);
  });
});

describe('ProcessNotes kept on disk', () => {
  it('are told once at the next turn, also by a runtime loaded again, and hold nothing in memory', () => {
    const path = join(dir, 'session', 'notes.json');
    const notes = new ProcessNotes({ path, logger: silentLogger(), redact: (t) => t.replace('s3cret', '***') });
    notes.add('Background process bg_A exited (exit code 3) s3cret');
    expect(notes.pending).toBe(0);
    const reloaded = new ProcessNotes({ path, logger: silentLogger() });
    expect(reloaded.withNotes('hello')).toBe(
      '[system note: Background process bg_A exited (exit code 3) ***]\n\nhello',
    );
    expect(new ProcessNotes({ path, logger: silentLogger() }).withNotes('again')).toBe('again');
  });

  it('held in memory when they cannot be kept', () => {
    writeFileSync(join(dir, 'file'), '');
    const notes = new ProcessNotes({ path: join(dir, 'file', 'notes.json'), logger: silentLogger() });
    notes.add('something ended');
    expect(notes.pending).toBe(1);
    expect(notes.withNotes('hi')).toBe('[system note: something ended]\n\nhi');
    expect(new ProcessNotes().pending).toBe(0);
  });
});
