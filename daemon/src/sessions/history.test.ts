import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadPendingInputs, savePendingInputs } from './history.js';

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
