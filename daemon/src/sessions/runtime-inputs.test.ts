import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@sylk/core';
import { TurnInputs } from './runtime-inputs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-inputs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const onDisk = () => JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')) as unknown;

describe('turn inputs', () => {
  it('are on disk at every change: the current one and the queue behind it', () => {
    const inputs = new TurnInputs(dir, false, silentLogger());
    inputs.push('one');
    inputs.push('two');
    expect(onDisk()).toEqual({ queued: ['one', 'two'] });
    expect(inputs.take()).toBe('one');
    expect(onDisk()).toEqual({ current: 'one', queued: ['two'] });
    inputs.done();
    inputs.drop();
    expect(existsSync(join(dir, 'inputs.json'))).toBe(false);
    expect(inputs.take()).toBeUndefined();
  });

  it('queue again a current input whose turn never started; restate an interrupted one before the queue', () => {
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ current: 'fix the bug', queued: ['then this'] }));
    expect(new TurnInputs(dir, false, silentLogger()).take()).toBe('fix the bug');

    const interrupted = new TurnInputs(dir, true, silentLogger());
    expect(interrupted.restate([])).toBe(true);
    expect(interrupted.restate([])).toBe(false);
    expect(interrupted.take()).toBe(
      'Continue the task that was interrupted, from where it stopped. The task was:\n\nfix the bug',
    );
    expect(interrupted.take()).toBe('then this');
  });

  it('do not repeat a task the saved conversation already holds', () => {
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ current: 'fix the bug', queued: [] }));
    const inputs = new TurnInputs(dir, true, silentLogger());
    inputs.restate([{ role: 'user', content: 'fix the bug' }]);
    expect(inputs.take()).toMatch(/calls it interrupted say so in their results\.$/);
  });
});
