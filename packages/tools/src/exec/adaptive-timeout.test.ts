import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultNoisePatterns, isNoise, timeoutDeadline } from './adaptive-timeout.js';
import { sandbox, testExecutor, type Sandbox } from './test-support.js';

describe('timeoutDeadline', () => {
  const policy = { baseMs: 120_000, extendMs: 30_000, ceilingMs: 1_800_000 };
  it('is the base while output is old or absent', () => {
    expect(timeoutDeadline(0, 0, policy)).toBe(120_000);
    expect(timeoutDeadline(0, 80_000, policy)).toBe(120_000);
  });
  it('moves with meaningful output and stops at the ceiling', () => {
    expect(timeoutDeadline(0, 100_000, policy)).toBe(130_000);
    expect(timeoutDeadline(0, 1_790_000, policy)).toBe(1_800_000);
  });
});

describe('noise', () => {
  it.each(['....', '  ...  ', '|', '⠋', ' 45%', '[=====>   ] 45%', '10%\r20%', ''])('treats %j as noise', (line) => {
    expect(isNoise(line, defaultNoisePatterns())).toBe(true);
  });
  it.each(['Compiling foo v0.1.0', 'test a ... ok', '3 passed'])('treats %j as meaningful', (line) => {
    expect(isNoise(line, defaultNoisePatterns())).toBe(false);
  });
});

describe('adaptive timeout on real commands', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.dispose());
  const timeouts = { baseMs: 300, extendMs: 600, ceilingMs: 5000 };

  it('fires on silence: exit 124, timedOut, a message, partial output kept', async () => {
    const result = await testExecutor(box, { timeouts }).run('sh -c "echo started; exec sleep 30"', {
      cwd: box.project,
    });
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, partial: true, partialReason: 'timeout' });
    expect(result.message).toMatch(/^Command timed out after/);
    expect(result.output.head.map((l) => l.text)).toEqual(['started']);
    expect(result.killed?.endedBy).toBe('SIGINT');
  });

  it('is extended by meaningful output past the base', async () => {
    // Prints a real line every 100 ms for ~1 s: far past the 300 ms base, never 600 ms silent.
    const result = await testExecutor(box, { timeouts }).run(
      'for i in 1 2 3 4 5 6 7 8 9 10; do echo "step $i"; sleep 0.1; done',
      {
        cwd: box.project,
      },
    );
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.output.totalLines).toBe(10);
  });

  it('is not extended by noise', async () => {
    const result = await testExecutor(box, { timeouts }).run(
      'for i in 1 2 3 4 5 6 7 8 9 10; do echo "..."; sleep 0.1; done; echo finished',
      {
        cwd: box.project,
      },
    );
    expect(result).toMatchObject({ exitCode: 124, timedOut: true });
    expect(result.output.tail.map((l) => l.text)).not.toContain('finished');
  });

  it('stops at the ceiling even while output flows', async () => {
    const result = await testExecutor(box, { timeouts: { baseMs: 200, extendMs: 400, ceilingMs: 600 } }).run(
      'while true; do echo "working"; sleep 0.05; done',
      { cwd: box.project },
    );
    expect(result).toMatchObject({ exitCode: 124, timedOut: true });
    expect(result.message).toMatch(/ceiling/);
  });

  it('lets a call ask for a longer base, capped at the ceiling', async () => {
    const exec = testExecutor(box, { timeouts });
    const result = await exec.run('sleep 0.6', { cwd: box.project, timeoutMs: 2000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
  });
});
