import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvocationBatcher, type RunCommand, type RunOutput, type Timers } from './index.js';

const ESLINT = resolve(import.meta.dirname, '../../../../node_modules/.bin/eslint');
let dir: string;

/** child_process runner local to the test; records every argv it ran. */
function realRun(log: string[][]): RunCommand {
  return (argv, { cwd }) => {
    log.push(argv);
    return new Promise((done) => {
      const [cmd = '', ...args] = argv;
      execFile(cmd, args, { cwd }, (err, stdout, stderr) => done({ exitCode: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }));
    });
  };
}

/** Timers that fire only when told to. */
class ManualTimers implements Timers {
  private next = 0;
  private readonly fns = new Map<number, () => void>();
  setTimeout(fn: () => void): unknown {
    this.fns.set(++this.next, fn);
    return this.next;
  }
  clearTimeout(handle: unknown): void {
    this.fns.delete(handle as number);
  }
  fire(): void {
    const fns = [...this.fns.values()];
    this.fns.clear();
    for (const fn of fns) fn();
  }
}

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-batch-')));
  writeFileSync(join(dir, 'eslint.config.js'), "export default [{ files: ['**/*.js'], rules: { 'no-unused-vars': 'error', eqeqeq: 'warn' } }];\n");
  writeFileSync(join(dir, 'a.js'), 'const unused = 1;\n');
  writeFileSync(join(dir, 'b.js'), 'export const b = 1 == 1;\n');
  writeFileSync(join(dir, 'c.js'), 'export const c = 1;\n');
  writeFileSync(join(dir, 'broken.js'), 'const x = ;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lint = (file: string): string[] => [ESLINT, '-f', 'json', file];
const parse = (o: RunOutput): Array<{ filePath: string; errorCount: number; warningCount: number }> => JSON.parse(o.stdout);

describe('InvocationBatcher with real eslint', () => {
  it('runs one process for calls in the window and attributes results per file', async () => {
    const log: string[][] = [];
    const timers = new ManualTimers();
    const b = new InvocationBatcher({ run: realRun(log), timers });
    const calls = ['a.js', 'b.js', 'c.js', 'broken.js'].map((f) => b.run(lint(f), { cwd: dir }));
    expect(log).toEqual([]); // still gathering
    timers.fire();
    const [a, bb, c, broken] = await Promise.all(calls);
    expect(log).toEqual([[ESLINT, '-f', 'json', 'a.js', 'b.js', 'c.js', 'broken.js']]);
    expect(a).toMatchObject({ exitCode: 1, sharedWith: 4 });
    expect(parse(a!)).toEqual([expect.objectContaining({ filePath: join(dir, 'a.js'), errorCount: 1 })]);
    expect(bb?.exitCode).toBe(0); // a warning only
    expect(parse(bb!)[0]?.warningCount).toBe(1);
    expect(c?.exitCode).toBe(0);
    expect(parse(c!)).toEqual([expect.objectContaining({ filePath: join(dir, 'c.js'), errorCount: 0 })]);
    // partial failure: only the caller whose file does not parse sees the fatal error
    expect(broken?.exitCode).toBe(1);
    expect(JSON.stringify(parse(broken!))).toContain('Parsing error');
  });

  it('keeps different cwd/options apart and leaves non-batchable commands untouched', async () => {
    const log: string[][] = [];
    const timers = new ManualTimers();
    const b = new InvocationBatcher({ run: realRun(log), timers });
    const stylish = b.run([ESLINT, 'a.js'], { cwd: dir }); // not JSON: runs alone, immediately
    const other = b.run([ESLINT, '-f', 'json', '--rule', 'eqeqeq:off', 'b.js'], { cwd: dir });
    const plain = b.run(lint('c.js'), { cwd: dir });
    expect(log).toEqual([[ESLINT, 'a.js']]);
    timers.fire();
    const [s, o, p] = await Promise.all([stylish, other, plain]);
    expect(s.sharedWith).toBe(1);
    expect(s.stdout).toContain('no-unused-vars');
    expect(parse(o)[0]?.warningCount).toBe(0);
    expect(p.exitCode).toBe(0);
    expect(log).toHaveLength(3);
  });

  it('flushes as soon as maxFiles is reached', async () => {
    const log: string[][] = [];
    const b = new InvocationBatcher({ run: realRun(log), timers: new ManualTimers(), specs: [{ ...(await import('./specs.js')).eslintBatch, maxFiles: 2 }] });
    const results = await Promise.all([b.run(lint('a.js'), { cwd: dir }), b.run(lint('c.js'), { cwd: dir })]);
    expect(log).toHaveLength(1);
    expect(results.map((r) => r.exitCode)).toEqual([1, 0]);
  });
});

describe('InvocationBatcher fallback', () => {
  it('a crashed or unparsable batch falls back to individual runs with a warning', async () => {
    const log: string[][] = [];
    const run: RunCommand = async (argv) => {
      log.push(argv);
      const files = argv.slice(3);
      if (files.length > 1) return { exitCode: 2, stdout: 'Oops! Something went wrong', stderr: '' };
      return { exitCode: 0, stdout: JSON.stringify([{ filePath: `/x/${files[0]}`, errorCount: 0 }]), stderr: '' };
    };
    const timers = new ManualTimers();
    const b = new InvocationBatcher({ run, timers });
    const calls = [b.run(['eslint', '-f', 'json', 'a.js'], { cwd: '/x' }), b.run(['eslint', '-f', 'json', 'b.js'], { cwd: '/x' })];
    timers.fire();
    const results = await Promise.all(calls);
    expect(log).toHaveLength(3);
    expect(results.map((r) => [r.exitCode, r.sharedWith])).toEqual([[0, 1], [0, 1]]);
    expect(results[0]?.warning).toMatch(/ran each call on its own/);
  });

  it('prettier --check output is attributed per file, including syntax errors', async () => {
    const run: RunCommand = async () => ({
      exitCode: 2,
      stdout: 'Checking formatting...\n',
      stderr: '[warn] src/a.js\n[error] src/bad.js: SyntaxError: Unexpected token (1:11)\n[warn] Code style issues found in the above file. Run Prettier with --write to fix.\n',
    });
    const timers = new ManualTimers();
    const b = new InvocationBatcher({ run, timers });
    const calls = ['src/a.js', 'src/ok.js', 'src/bad.js'].map((f) => b.run(['npx', 'prettier', '--check', f], { cwd: '/p' }));
    timers.fire();
    const [a, ok, bad] = await Promise.all(calls);
    expect([a?.exitCode, ok?.exitCode, bad?.exitCode]).toEqual([1, 0, 2]);
    expect(bad?.stderr).toContain('SyntaxError');
    expect(a?.stderr).toBe('[warn] src/a.js');
  });
});
