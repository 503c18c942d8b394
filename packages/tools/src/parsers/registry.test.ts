import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeCommand } from './command.js';
import { ParserRegistry } from './registry.js';

const createStreamingParser = (command: string) => new ParserRegistry().createStreamingParser(command);

const fixture = (name: string): string =>
  readFileSync(resolve(import.meta.dirname, '../../test-fixtures', name), 'utf8');

describe('ParserRegistry selection', () => {
  it.each([
    ['tsc -p .', 'tsc'],
    ['npx tsc --noEmit', 'tsc'],
    ['./node_modules/.bin/tsc', 'tsc'],
    ['CI=1 npx eslint src', 'eslint'],
    ['go test -json ./...', 'go test'],
    ['go vet ./...', 'go build'],
    ['python3 -m pytest -x', 'pytest'],
    ['cargo clippy', 'cargo build'],
    ['git -C /repo --no-pager log --oneline', 'git log'],
    ['npm i', 'npm'],
    ['node --test-reporter=tap --test', 'node --test'],
  ])('%s → %s', (command, tool) => {
    expect(new ParserRegistry().match(command)?.tool).toBe(tool);
  });

  it('leaves unknown commands unparsed and does not over-match prefixes', () => {
    const r = new ParserRegistry();
    expect(r.match('tscfoo')).toBeUndefined();
    expect(r.match('ls -la')).toBeUndefined();
    expect(r.parse('echo hi', 'hi')).toBeUndefined();
    expect(normalizeCommand('  FOO=1   BAR=2 /usr/bin/git   -C x  status ')).toBe('git status');
  });

  it('custom parsers win over built-ins', () => {
    const r = new ParserRegistry();
    r.register('tsc --build*', {
      tool: 'custom-tsc',
      parse: () => ({ tool: 'custom-tsc', errors: [], warnings: [], summary: 'custom' }),
    });
    expect(r.match('tsc --build')?.tool).toBe('custom-tsc');
    expect(r.match('tsc -p .')?.tool).toBe('tsc');
  });
});

describe('streaming parsers', () => {
  it('report errors as soon as their line arrives and flag fatal early', () => {
    const s = createStreamingParser('go build ./...');
    expect(s.onLine('# example.com/app/internal/store')).toEqual([
      { kind: 'progress', message: 'package example.com/app/internal/store' },
    ]);
    expect(s.hasFatalError()).toBe(false);
    const events = s.onLine('internal/store/store.go:14:2: undefined: fmtx');
    expect(events).toEqual([
      {
        kind: 'error',
        diagnostic: {
          severity: 'error',
          file: 'internal/store/store.go',
          line: 14,
          col: 2,
          message: 'undefined: fmtx',
        },
      },
    ]);
    expect(s.hasFatalError()).toBe(true);
  });

  it('aggregate test events and progress percentages (pytest -v)', () => {
    const s = createStreamingParser('pytest -v');
    const all = fixture('pytest-verbose-fail.txt')
      .split('\n')
      .flatMap((l) => s.onLine(l));
    expect(all.filter((e) => e.kind === 'progress').map((e) => (e.kind === 'progress' ? e.percent : 0))).toEqual([
      25, 50, 75, 100,
    ]);
    expect(s.result().tests).toHaveLength(4);
    expect(s.hasFatalError()).toBe(false);
  });

  it('npm errors and tsc errors are fatal; ANSI colour is stripped', () => {
    const npm = createStreamingParser('npm install');
    npm.onLine('npm error code ERESOLVE');
    expect(npm.hasFatalError()).toBe(true);
    const tsc = createStreamingParser('tsc');
    const ev = tsc.onLine(
      '\u001b[96mbad.ts\u001b[0m:\u001b[93m1\u001b[0m:\u001b[93m7\u001b[0m - \u001b[91merror\u001b[0m\u001b[90m TS2322: \u001b[0mType mismatch',
    );
    expect(ev).toEqual([
      {
        kind: 'error',
        diagnostic: expect.objectContaining({
          file: 'bad.ts',
          line: 1,
          col: 7,
          rule: 'TS2322',
          message: 'Type mismatch',
        }),
      },
    ]);
    expect(tsc.hasFatalError()).toBe(true);
  });

  it('unknown tools use the generic machine', () => {
    const s = createStreamingParser('make all');
    expect(s.onLine("main.c:3:5: error: 'x' undeclared")).toEqual([
      { kind: 'error', diagnostic: { severity: 'error', file: 'main.c', line: 3, col: 5, message: "'x' undeclared" } },
    ]);
    expect(s.onLine('gcc -o main main.c')).toEqual([]);
  });
});
