import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SylkError } from '@sylk/core';
import { ParserRegistry, TemplateStore, apply, createStreamingParser, normalizeCommand, validateTemplate, type ParseTemplate } from './index.js';

const fixture = (name: string): string => readFileSync(resolve(import.meta.dirname, '../../test-fixtures', name), 'utf8');

const makeTemplate: ParseTemplate = {
  toolPattern: 'make*',
  rules: [
    { name: 'cc-error', kind: 'error', regex: '^(?<file>[^:]+):(?<line>\\d+):(?<col>\\d+): error: (?<message>.+)$' },
    { name: 'cc-warning', kind: 'warning', regex: '^(?<file>[^:]+):(?<line>\\d+):(?<col>\\d+): warning: (?<message>.+)$' },
  ],
  example: "main.c:3:5: error: 'x' undeclared\nmain.c:9:1: warning: unused variable 'y'\nmake: *** [all] Error 1\n",
};

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
    r.register('tsc --build*', { tool: 'custom-tsc', parse: () => ({ tool: 'custom-tsc', errors: [], warnings: [], summary: 'custom' }) });
    expect(r.match('tsc --build')?.tool).toBe('custom-tsc');
    expect(r.match('tsc -p .')?.tool).toBe('tsc');
  });
});

describe('streaming parsers', () => {
  it('report errors as soon as their line arrives and flag fatal early', () => {
    const s = createStreamingParser('go build ./...');
    expect(s.onLine('# example.com/app/internal/store')).toEqual([{ kind: 'progress', message: 'package example.com/app/internal/store' }]);
    expect(s.hasFatalError()).toBe(false);
    const events = s.onLine('internal/store/store.go:14:2: undefined: fmtx');
    expect(events).toEqual([{ kind: 'error', diagnostic: { severity: 'error', file: 'internal/store/store.go', line: 14, col: 2, message: 'undefined: fmtx' } }]);
    expect(s.hasFatalError()).toBe(true);
  });

  it('aggregate test events and progress percentages (pytest -v)', () => {
    const s = createStreamingParser('pytest -v');
    const all = fixture('pytest-verbose-fail.txt').split('\n').flatMap((l) => s.onLine(l));
    expect(all.filter((e) => e.kind === 'progress').map((e) => (e.kind === 'progress' ? e.percent : 0))).toEqual([25, 50, 75, 100]);
    expect(s.result().tests).toHaveLength(4);
    expect(s.hasFatalError()).toBe(false);
  });

  it('npm errors and tsc errors are fatal; ANSI colour is stripped', () => {
    const npm = createStreamingParser('npm install');
    npm.onLine('npm error code ERESOLVE');
    expect(npm.hasFatalError()).toBe(true);
    const tsc = createStreamingParser('tsc');
    const ev = tsc.onLine('\u001b[96mbad.ts\u001b[0m:\u001b[93m1\u001b[0m:\u001b[93m7\u001b[0m - \u001b[91merror\u001b[0m\u001b[90m TS2322: \u001b[0mType mismatch');
    expect(ev).toEqual([{ kind: 'error', diagnostic: expect.objectContaining({ file: 'bad.ts', line: 1, col: 7, rule: 'TS2322', message: 'Type mismatch' }) }]);
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

describe('parse templates', () => {
  it('apply returns fields, diagnostics and warnings', () => {
    validateTemplate(makeTemplate);
    const { matches, result, warnings } = apply(makeTemplate, makeTemplate.example);
    expect(matches[0]).toEqual({ rule: 'cc-error', kind: 'error', line: 1, fields: { file: 'main.c', line: '3', col: '5', message: "'x' undeclared" } });
    expect(result.errors).toEqual([{ severity: 'error', file: 'main.c', line: 3, col: 5, message: "'x' undeclared" }]);
    expect(result.warnings).toHaveLength(1);
    expect(warnings).toEqual([]);
    const noMessage = apply({ ...makeTemplate, rules: [{ name: 'loc', kind: 'error', regex: '^(?<file>\\w+\\.c):' }] }, 'main.c: oops');
    expect(noMessage.warnings[0]).toContain('without a "message" field');
  });

  it.each<[string, Partial<ParseTemplate>, RegExp]>([
    ['extracts nothing', { example: 'all good\n' }, /extracts nothing/],
    ['invalid regex', { rules: [{ name: 'bad', kind: 'error', regex: '(?<file>[unclosed' }] }, /invalid regex/],
    ['nested quantifiers', { rules: [{ name: 'evil', kind: 'error', regex: '^(?<message>(a+)+)$' }] }, /catastrophic/],
    ['no named groups', { rules: [{ name: 'anon', kind: 'error', regex: '^error: .*$' }] }, /no named groups/],
    ['unknown kind', { rules: [{ name: 'k', kind: 'info' as 'error', regex: '(?<message>.+)' }] }, /unknown kind/],
    ['empty pattern', { toolPattern: ' ' }, /empty toolPattern/],
  ])('rejects a template that %s', (_label, patch, message) => {
    const err = (() => {
      try {
        validateTemplate({ ...makeTemplate, ...patch });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SylkError);
    expect((err as SylkError).code).toBe('tools.template_invalid');
    expect((err as SylkError).message).toMatch(message);
  });

  it('a slow regex is interrupted and reported, not hung on', () => {
    // Polynomial, not nested: passes the static check but is quadratic on a long line.
    const slow: ParseTemplate = { toolPattern: 'x', rules: [{ name: 's', kind: 'error', regex: '^(?<message>\\s*\\s*\\s*\\s*\\s*x)$' }], example: 'x' };
    const r = apply(slow, `${' '.repeat(4000)}y`, { timeoutMs: 20 });
    expect(r.warnings.join(' ')).toMatch(/timed out/);
  });

  it('registered templates parse their tool; the store persists and reloads, dropping invalid entries', async () => {
    const registry = new ParserRegistry();
    registry.registerTemplate(makeTemplate);
    expect(registry.parse('make -j4', 'x.c:1:2: error: boom')?.errors[0]).toMatchObject({ file: 'x.c', message: 'boom' });
    expect(() => registry.registerTemplate({ ...makeTemplate, example: 'nothing' })).toThrow(/extracts nothing/);

    const dir = mkdtempSync(join(tmpdir(), 'sylk-templates-'));
    try {
      const path = join(dir, 'knowledge', 'templates.json');
      const store = new TemplateStore({ path });
      store.add(makeTemplate);
      await store.save();
      const reloaded = new TemplateStore({ path });
      await reloaded.load();
      expect(reloaded.find('make all')).toEqual(makeTemplate);
      expect(reloaded.find('cmake .')).toBeUndefined();
      const file = JSON.parse(readFileSync(path, 'utf8')) as { templates: ParseTemplate[] };
      file.templates.push({ ...makeTemplate, toolPattern: 'bad*', example: 'no match' });
      writeFileSync(path, JSON.stringify(file));
      const filtered = new TemplateStore({ path });
      await filtered.load();
      expect(filtered.list().map((t) => t.toolPattern)).toEqual(['make*']);
      writeFileSync(path, '{not json');
      await expect(new TemplateStore({ path }).load()).rejects.toMatchObject({ code: 'tools.template_store_corrupt' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
