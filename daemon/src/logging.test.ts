import fs, { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GuardedLogDestination, openDaemonLog, type LogTarget } from './logging.js';

const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('GuardedLogDestination', () => {
  it('drops and counts lines while writes fail, retries later, and reports the loss', () => {
    let now = 1_000;
    let full = true;
    const written: string[] = [];
    let onError: (err: Error) => void = () => undefined;
    const target: LogTarget = {
      write(line) {
        if (full) onError(enospc());
        else written.push(line);
        return true;
      },
      on(_event, listener) {
        onError = listener;
      },
    };
    const guard = new GuardedLogDestination(target, { now: () => now, retryMs: 5_000 });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      guard.write('a\n');
      for (let i = 0; i < 10; i++) guard.write(`dropped ${i}\n`);
      expect(guard.health()).toMatchObject({
        failing: true,
        droppedLines: 10,
        lastError: expect.stringMatching(/ENOSPC/),
      });
      now += 5_000;
      guard.write('probe\n'); // still full: counted, nothing thrown
      expect(guard.health().failing).toBe(true);
      full = false;
      now += 5_000;
      guard.write('b\n');
      expect(written).toHaveLength(2);
      expect(JSON.parse(written[0] ?? '')).toMatchObject({
        level: 40,
        msg: expect.stringMatching(/^dropped 11 log line\(s\)/),
      });
      expect(written[1]).toBe('b\n');
      expect(guard.health()).toMatchObject({ failing: false, droppedLines: 0 });
      expect(stderr.mock.calls.filter(([l]) => String(l).includes('cannot write the log'))).toHaveLength(1); // once per episode
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('openDaemonLog on a full disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('never throws from logger calls when the real log file write fails with ENOSPC', async () => {
    const logsDir = mkdtempSync(join(tmpdir(), 'sylk-log-'));
    dirs.push(logsDir);
    const log = await openDaemonLog({ logsDir, level: 'info', pretty: false, maxSizeMb: 10, maxFiles: 2 });
    log.logger.info('before');
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const realWriteSync = fs.writeSync;
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw enospc();
    });
    for (let i = 0; i < 100; i++) log.logger.error({ i }, 'while full');
    log.logger.fatal('fatal while full');
    expect(log.health()).toMatchObject({ failing: true, lastError: expect.stringMatching(/ENOSPC/) });
    spy.mockImplementation(realWriteSync);
    const health = log.health();
    // Past the retry interval, the next line goes through with a note of what was lost.
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 60_000);
    log.logger.info('after');
    log.close();
    const lines = readFileSync(log.currentFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain('before');
    expect(lines.some((l) => /^dropped \d+ log line/.test(l.msg))).toBe(true);
    expect(lines.at(-1)?.msg).toBe('after');
    expect(health.droppedLines).toBeGreaterThanOrEqual(99);
  });
});

describe('openDaemonLog with known-secret redaction', () => {
  it('redacts a registered value anywhere in a line, nested fields and error stacks included', async () => {
    const { REDACTED, SecretValues } = await import('@sylk/core');
    const logsDir = mkdtempSync(join(tmpdir(), 'sylk-log-'));
    try {
      const secrets = new SecretValues();
      const key = 'plainLEAKvalue-0123456789';
      secrets.add(key);
      const log = await openDaemonLog({
        logsDir,
        level: 'info',
        pretty: false,
        maxSizeMb: 10,
        maxFiles: 2,
        redact: (l) => secrets.redact(l),
      });
      log.logger.info(
        { deep: { deeper: { list: [`x ${key} y`] } }, err: new Error(`failed with ${key}`) },
        `message ${key}`,
      );
      log.close();
      const text = readFileSync(log.currentFile, 'utf8');
      expect(text).not.toContain(key);
      const line = JSON.parse(text.trim().split('\n').at(-1) as string) as {
        msg: string;
        deep: { deeper: { list: string[] } };
      };
      expect(line.msg).toBe(`message ${REDACTED}`);
      expect(line.deep.deeper.list).toEqual([`x ${REDACTED} y`]);
    } finally {
      rmSync(logsDir, { recursive: true, force: true });
    }
  });
});

describe('openDaemonLog with the journal', () => {
  it('writes the same redacted JSON lines to stdout and to the file', async () => {
    const { SecretValues } = await import('@sylk/core');
    const logsDir = mkdtempSync(join(tmpdir(), 'sylk-log-'));
    const out: string[] = [];
    // pino.destination({ dest: 1, sync: true }) writes with fs.writeSync(1, …).
    const realWriteSync = fs.writeSync;
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: string, ...rest: never[]) => {
      if (fd === 1) {
        out.push(String(data));
        return Buffer.byteLength(String(data));
      }
      return (realWriteSync as (...a: unknown[]) => number)(fd, data, ...rest);
    }) as typeof fs.writeSync);
    try {
      const secrets = new SecretValues();
      const key = 'journalLEAKvalue-0123456789';
      secrets.add(key);
      const log = await openDaemonLog({
        logsDir,
        level: 'info',
        pretty: false,
        journal: true,
        maxSizeMb: 10,
        maxFiles: 2,
        redact: (l) => secrets.redact(l),
      });
      log.logger.info({ apiKey: key, nested: { k: key } }, `hello ${key}`);
      log.close();
      spy.mockRestore();
      const fileLines = readFileSync(log.currentFile, 'utf8').trim().split('\n');
      const journalLines = out.join('').trim().split('\n');
      expect(journalLines).toEqual(fileLines);
      expect(journalLines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('hello [REDACTED]');
      expect(out.join('')).not.toContain(key);
    } finally {
      spy.mockRestore();
      rmSync(logsDir, { recursive: true, force: true });
    }
  });
});
