import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Message } from '@sylk/llm';
import { HistoryFile, loadPendingInputs, savePendingInputs } from './history.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A logger that keeps what it warns. */
function recordingLogger() {
  const lines: Array<{ msg: string; path?: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) });
  return { logger, lines };
}

function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-inputs-'));
  dirs.push(dir);
  return join(dir, 'session', 'inputs.json');
}

describe('pending inputs file', () => {
  it('round-trips the current input and the queue, and is removed once both are empty', () => {
    const path = file();
    const { logger, lines } = recordingLogger();
    savePendingInputs(path, { current: 'fix it', queued: ['then this', 'and that'] });
    expect(loadPendingInputs(path, logger)).toEqual({ current: 'fix it', queued: ['then this', 'and that'] });
    savePendingInputs(path, { queued: [] });
    expect(existsSync(path)).toBe(false);
    expect(loadPendingInputs(path, logger)).toEqual({ queued: [] });
    expect(lines).toEqual([]); // a missing file is normal, not a warning
  });

  it('starts without inputs and warns, naming the file, when it is not JSON', () => {
    const path = file();
    savePendingInputs(path, { queued: ['x'] });
    writeFileSync(path, '{"queued": ["trunc');
    const { logger, lines } = recordingLogger();
    expect(loadPendingInputs(path, logger)).toEqual({ queued: [] });
    expect(lines).toMatchObject([{ msg: 'pending inputs unreadable; starting without it', path }]);
  });

  it('keeps only well-typed entries of a file with the wrong shape', () => {
    const path = file();
    savePendingInputs(path, { queued: ['x'] });
    writeFileSync(path, JSON.stringify({ current: 42, queued: ['a', 7, null, 'b'] }));
    expect(loadPendingInputs(path, recordingLogger().logger)).toEqual({ queued: ['a', 'b'] });
    writeFileSync(path, 'null');
    expect(loadPendingInputs(path, recordingLogger().logger)).toEqual({ queued: [] });
  });
});

describe('session history file', () => {
  const turn1: Message[] = [
    { role: 'user', content: 'fix the test' },
    {
      role: 'assistant',
      content: 'Reading it.',
      toolCalls: [{ id: 't1', name: 'read_file', arguments: { path: 'a.js' } }],
    },
    { role: 'tool', toolCallId: 't1', content: 'line one\nline two \u2028 "quoted"' },
    { role: 'assistant', content: 'Fixed.' },
  ];
  const turn2: Message[] = [
    { role: 'user', content: 'thanks' },
    { role: 'assistant', content: 'You are welcome.' },
  ];
  const sessionDir = () => join(file(), '..');

  it('appends each turn to what is saved, and a new daemon reads it all back', () => {
    const dir = sessionDir();
    const { logger, lines } = recordingLogger();
    const saved = new HistoryFile(dir, logger);
    const history = saved.load();
    expect(history).toEqual([]);
    history.push(...turn1);
    saved.save(history);
    const afterTurn1 = readFileSync(join(dir, 'history.jsonl'), 'utf8');
    history.push(...turn2);
    saved.save(history);
    saved.save(history); // nothing new: nothing written
    const text = readFileSync(join(dir, 'history.jsonl'), 'utf8');
    expect(text.startsWith(afterTurn1)).toBe(true);
    expect(text.split('\n')).toHaveLength(turn1.length + turn2.length + 1);
    expect(new HistoryFile(dir, logger).load()).toEqual([...turn1, ...turn2]);
    expect(lines).toEqual([]);
  });

  it('writes every line with known secrets redacted, whole and appended', async () => {
    const { REDACTED, SecretValues } = await import('@sylk/core');
    const secrets = new SecretValues();
    secrets.add('history-secret-0123');
    secrets.add('quo"ted-secret-0123');
    const dir = sessionDir();
    const saved = new HistoryFile(dir, recordingLogger().logger, (t) => secrets.redact(t));
    const history = saved.load();
    history.push(
      { role: 'user', content: 'use history-secret-0123' },
      {
        role: 'assistant',
        content: 'ok',
        toolCalls: [{ id: 't', name: 'run_command', arguments: { command: 'echo quo"ted-secret-0123' } }],
      },
    );
    saved.save(history);
    history.push({ role: 'tool', toolCallId: 't', content: 'quo"ted-secret-0123' });
    saved.save(history);
    const text = readFileSync(join(dir, 'history.jsonl'), 'utf8');
    expect(text).not.toContain('secret-0123');
    expect(new HistoryFile(dir, recordingLogger().logger).load().map((m) => JSON.stringify(m))).toEqual([
      JSON.stringify({ role: 'user', content: `use ${REDACTED}` }),
      JSON.stringify({
        role: 'assistant',
        content: 'ok',
        toolCalls: [{ id: 't', name: 'run_command', arguments: { command: `echo ${REDACTED}` } }],
      }),
      JSON.stringify({ role: 'tool', toolCallId: 't', content: REDACTED }),
    ]);
  });

  it('drops a line cut short by a crash, and the next save leaves a file that reads back whole', () => {
    const dir = sessionDir();
    const first = new HistoryFile(dir, recordingLogger().logger);
    first.load();
    first.save(turn1);
    appendFileSync(join(dir, 'history.jsonl'), '{"role":"user","content":"cut sh');
    const { logger, lines } = recordingLogger();
    const restarted = new HistoryFile(dir, logger);
    const history = restarted.load();
    expect(history).toEqual(turn1);
    expect(lines).toMatchObject([
      { msg: 'session history ends in a cut-off line (a write was interrupted); dropping it' },
    ]);
    history.push(...turn2);
    restarted.save(history);
    expect(new HistoryFile(dir, logger).load()).toEqual([...turn1, ...turn2]);
    expect(lines).toHaveLength(1);
  });

  it('writes the file whole at the next save after a failed append', () => {
    const dir = sessionDir();
    const path = join(dir, 'history.jsonl');
    const file = new HistoryFile(dir, recordingLogger().logger);
    const history = file.load();
    history.push(...turn1);
    file.save(history);
    rmSync(path);
    mkdirSync(path); // appending to it fails
    history.push(...turn2);
    expect(() => file.save(history)).toThrow();
    rmSync(path, { recursive: true });
    file.save(history);
    expect(new HistoryFile(dir, recordingLogger().logger).load()).toEqual([...turn1, ...turn2]);
  });

  it('keeps the messages before an unreadable line, with a warning', () => {
    const dir = sessionDir();
    const first = new HistoryFile(dir, recordingLogger().logger);
    first.load();
    first.save(turn1.slice(0, 2));
    appendFileSync(join(dir, 'history.jsonl'), 'not json\n[1,2]\n');
    const { logger, lines } = recordingLogger();
    expect(new HistoryFile(dir, logger).load()).toEqual(turn1.slice(0, 2));
    expect(lines).toMatchObject([
      { msg: 'session history has an unreadable line; keeping the messages before it', line: 3 },
    ]);
  });

  it('reads the whole-array history.json of earlier versions and replaces it at the next save', () => {
    const dir = sessionDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'history.json'), JSON.stringify(turn1));
    const { logger, lines } = recordingLogger();
    const legacy = new HistoryFile(dir, logger);
    const history = legacy.load();
    expect(history).toEqual(turn1);
    history.push(...turn2);
    legacy.save(history);
    expect(existsSync(join(dir, 'history.json'))).toBe(false);
    expect(new HistoryFile(dir, logger).load()).toEqual([...turn1, ...turn2]);
    expect(lines).toEqual([]);
  });
});

describe('session history on a full disk', () => {
  it.skipIf(!existsSync('/dev/full'))(
    'turns ENOSPC into storage.disk_full with a hint, and rewrites whole once space is back',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'sylk-history-full-'));
      dirs.push(dir);
      const { logger } = recordingLogger();
      const history = new HistoryFile(dir, logger);
      const one: Message[] = [{ role: 'user', content: 'one' }] as Message[];
      history.save(one);
      // /dev/full fails every write with ENOSPC: a real full-disk error, no mocking.
      rmSync(join(dir, 'history.jsonl'));
      symlinkSync('/dev/full', join(dir, 'history.jsonl'));
      const two = [...one, { role: 'assistant', content: 'two' }] as Message[];
      let err: unknown;
      try {
        history.save(two);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({
        code: 'storage.disk_full',
        message: expect.stringContaining('saving the session history'),
        hint: expect.stringMatching(/free some disk space/i),
      });
      rmSync(join(dir, 'history.jsonl'));
      history.save(two);
      expect(new HistoryFile(dir, logger).load()).toEqual(two);
    },
  );
});
