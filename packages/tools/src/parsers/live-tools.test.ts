// Real tsc, eslint, vitest, node --test and git on small temp projects.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParserRegistry } from './index.js';

const BIN = resolve(import.meta.dirname, '../../../../node_modules/.bin');
const registry = new ParserRegistry();
let dir: string;

function run(argv: string[], cwd = dir): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const [cmd = '', ...args] = argv;
    execFile(
      cmd,
      args,
      { cwd, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        done({ code: typeof err?.code === 'number' ? err.code : 0, out: `${stdout}${stderr}` });
      },
    );
  });
}

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-parsers-')));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', types: [] },
      include: ['*.ts'],
    }),
  );
  writeFileSync(
    join(dir, 'bad.ts'),
    "const n: number = 'str';\nexport function f(x: string): number {\n  return x.lenth;\n}\nexport { n };\n",
  );
  writeFileSync(
    join(dir, 'eslint.config.js'),
    "export default [{ files: ['**/*.js'], rules: { 'no-unused-vars': 'error', eqeqeq: 'warn', 'no-undef': 'error' } }];\n",
  );
  writeFileSync(join(dir, 'a.js'), 'const unused = 1;\nif (foo == 2) { bar(); }\n');
  writeFileSync(join(dir, 'ok.js'), 'export const ok = 1;\n');
  writeFileSync(join(dir, 'broken.js'), 'const x = ;\n');
  writeFileSync(
    join(dir, 'math.test.js'),
    "describe('math', () => {\n  it('adds', () => { expect(1 + 1).toBe(2); });\n" +
      "  it('fails', () => { expect(1 + 1).toBe(3); });\n  it.skip('skipped', () => {});\n});\n",
  );
  writeFileSync(
    join(dir, 'node.test.mjs'),
    "import test from 'node:test';\nimport assert from 'node:assert';\n" +
      "test('adds', () => { assert.strictEqual(1 + 1, 2); });\n" +
      "test('fails', () => { assert.strictEqual(1 + 1, 3); });\ntest('skipped', { skip: 'later' }, () => {});\n",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parsers against real tools', () => {
  it('tsc plain and --pretty', async () => {
    for (const flags of [[], ['--pretty']]) {
      const { code, out } = await run([join(BIN, 'tsc'), '-p', '.', ...flags]);
      expect(code).toBe(2);
      const r = registry.parse(`npx tsc -p . ${flags.join(' ')}`, out);
      expect(r?.tool).toBe('tsc');
      expect(r?.errors).toEqual([
        expect.objectContaining({
          file: 'bad.ts',
          line: 1,
          col: 7,
          rule: 'TS2322',
          severity: 'error',
          message: "Type 'string' is not assignable to type 'number'.",
        }),
        expect.objectContaining({ file: 'bad.ts', line: 3, col: 12, rule: 'TS2551' }),
      ]);
    }
  });

  it('tsc on a clean project has no errors', async () => {
    const clean = join(dir, 'clean');
    mkdirSync(clean, { recursive: true });
    writeFileSync(
      join(clean, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ['*.ts'] }),
    );
    writeFileSync(join(clean, 'ok.ts'), 'export const x: number = 1;\n');
    const { code, out } = await run([join(BIN, 'tsc'), '-p', '.'], clean);
    expect(code).toBe(0);
    expect(registry.parse('tsc -p .', out)?.errors).toEqual([]);
  });

  it('eslint stylish and json agree', async () => {
    const stylish = await run([join(BIN, 'eslint'), 'a.js', 'ok.js', 'broken.js']);
    const json = await run([join(BIN, 'eslint'), '-f', 'json', 'a.js', 'ok.js', 'broken.js']);
    const fromStylish = registry.parse('eslint a.js ok.js broken.js', stylish.out);
    const fromJson = registry.parse('eslint -f json a.js ok.js broken.js', json.out);
    for (const r of [fromStylish, fromJson]) {
      expect(r?.errors.map((e) => [e.file, e.line, e.col, e.rule ?? null])).toEqual([
        [join(dir, 'a.js'), 1, 7, 'no-unused-vars'],
        [join(dir, 'a.js'), 2, 5, 'no-undef'],
        [join(dir, 'a.js'), 2, 17, 'no-undef'],
        [join(dir, 'broken.js'), 1, 11, null],
      ]);
      expect(r?.warnings).toEqual([expect.objectContaining({ rule: 'eqeqeq', line: 2, col: 9, severity: 'warning' })]);
    }
    expect(fromStylish?.summary).toContain('5 problems');
  });

  it('vitest default reporter and json reporter', async () => {
    const text = await run([join(BIN, 'vitest'), 'run', '--globals', '--root', '.', 'math.test.js']);
    const json = await run([join(BIN, 'vitest'), 'run', '--globals', '--root', '.', '--reporter=json', 'math.test.js']);
    expect(text.code).toBe(1);
    const t = registry.parse('npx vitest run', text.out);
    expect(t?.tests?.map((x) => [x.name, x.status])).toEqual([
      ['adds', 'pass'],
      ['fails', 'fail'],
      ['skipped', 'skip'],
    ]);
    expect(t?.tests?.[1]?.message).toContain('expected 2 to be 3');
    expect(t?.summary).toContain('1 failed');
    const j = registry.parse('vitest run --reporter=json', json.out);
    expect(j?.tests?.map((x) => [x.name, x.status])).toEqual([
      ['math adds', 'pass'],
      ['math fails', 'fail'],
      ['math skipped', 'skip'],
    ]);
    expect(j?.tests?.[1]?.message).toContain('expected 2 to be 3');
  });

  it('node --test with tap and spec reporters', async () => {
    for (const reporter of ['tap', 'spec']) {
      const { code, out } = await run([process.execPath, '--test', `--test-reporter=${reporter}`, 'node.test.mjs']);
      expect(code).toBe(1);
      const r = registry.parse(`node --test --test-reporter=${reporter} node.test.mjs`, out);
      expect(r?.tool).toBe('node --test');
      expect(r?.tests?.map((x) => [x.name, x.status])).toEqual([
        ['adds', 'pass'],
        ['fails', 'fail'],
        ['skipped', 'skip'],
      ]);
      expect(r?.tests?.[1]?.message).toMatch(/strictly equal/);
      expect(r?.tests?.[0]?.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('git status (porcelain and human), diff and log', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    const git = (...args: string[]): Promise<{ code: number; out: string }> =>
      run(
        [
          'git',
          '-c',
          'user.name=Ada Lovelace',
          '-c',
          'user.email=ada@example.com',
          '-c',
          'init.defaultBranch=main',
          ...args,
        ],
        repo,
      );
    await git('init', '-q');
    writeFileSync(join(repo, 'a.txt'), 'one\ntwo\nthree\n');
    writeFileSync(join(repo, 'b.txt'), 'bee\n');
    await git('add', '.');
    await git('commit', '-q', '-m', 'first commit', '-m', 'with a body');
    writeFileSync(join(repo, 'a.txt'), 'one\n2\nthree\nfour\n');
    writeFileSync(join(repo, 'c.txt'), 'staged new\n');
    await git('add', 'c.txt');
    await git('rm', '-q', '--cached', 'b.txt');
    writeFileSync(join(repo, 'untracked.txt'), 'u\n');
    await git('commit', '-q', '--allow-empty', '-m', 'second');

    writeFileSync(join(repo, 'c.txt'), 'staged new, edited\n');
    await git('add', 'c.txt');
    writeFileSync(join(repo, 'c.txt'), 'staged new, edited again\n');
    for (const args of [['status', '--porcelain', '-b'], ['status']]) {
      const r = registry.parse(`git ${args.join(' ')}`, (await git(...args)).out);
      expect(r?.gitStatus?.branch).toBe('main');
      expect(r?.gitStatus?.staged).toEqual([{ path: 'c.txt', status: 'modified' }]);
      expect(r?.gitStatus?.unstaged).toEqual([
        { path: 'a.txt', status: 'modified' },
        { path: 'c.txt', status: 'modified' },
      ]);
      expect(r?.gitStatus?.untracked).toEqual(['b.txt', 'untracked.txt']);
    }
    const diff = registry.parse('git -C repo diff', (await git('diff')).out);
    expect(diff?.diff).toEqual([
      { file: 'a.txt', added: 2, removed: 1 },
      { file: 'c.txt', added: 1, removed: 1 },
    ]);
    const numstat = registry.parse('git diff --numstat', (await git('diff', '--numstat')).out);
    expect(numstat?.diff).toEqual(diff?.diff);
    const log = registry.parse('git log', (await git('log')).out);
    expect(log?.commits?.map((c) => [c.author, c.email, c.message])).toEqual([
      ['Ada Lovelace', 'ada@example.com', 'second'],
      ['Ada Lovelace', 'ada@example.com', 'first commit\n\nwith a body'],
    ]);
    expect(log?.commits?.[0]?.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(log?.commits?.[0]?.date).toBeTruthy();
    const oneline = registry.parse('git log --oneline', (await git('log', '--oneline')).out);
    expect(oneline?.commits?.map((c) => c.message)).toEqual(['second', 'first commit']);
  });
});
