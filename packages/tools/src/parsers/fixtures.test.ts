// Outputs captured from real go/cargo/pytest/npm/node --test runs (see test-fixtures/README.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParserRegistry } from './index.js';

const registry = new ParserRegistry();
const fixture = (name: string): string =>
  readFileSync(resolve(import.meta.dirname, '../../test-fixtures', name), 'utf8');

describe('cargo', () => {
  it('build errors with locations and codes; the compile summary is not a diagnostic', () => {
    const r = registry.parse('cargo build', fixture('cargo-build-fail.txt'));
    expect(r?.errors).toEqual([
      {
        severity: 'error',
        rule: 'E0425',
        message: 'cannot find value `c` in this scope',
        file: 'src/lib.rs',
        line: 3,
        col: 9,
      },
      { severity: 'error', rule: 'E0308', message: 'mismatched types', file: 'src/lib.rs', line: 5, col: 28 },
    ]);
    expect(r?.summary).toContain('could not compile');
  });

  it('warnings only', () => {
    const r = registry.parse('cargo build --release', fixture('cargo-build-warning.txt'));
    expect(r?.errors).toEqual([]);
    expect(r?.warnings).toEqual([
      { severity: 'warning', message: 'unused variable: `unused`', file: 'src/lib.rs', line: 2, col: 9 },
    ]);
  });

  it('test results, panic location and message', () => {
    const r = registry.parse('cargo test', fixture('cargo-test-fail.txt'));
    expect(r?.tests).toEqual([
      { name: 'tests::it_adds', status: 'pass' },
      { name: 'tests::slow_one', status: 'skip' },
      {
        name: 'tests::it_fails',
        status: 'fail',
        file: 'src/lib.rs:9:21',
        message: 'assertion `left == right` failed: math is broken',
      },
    ]);
    expect(r?.summary).toContain('test result: FAILED. 1 passed; 1 failed; 1 ignored');
    expect(registry.parse('cargo test', fixture('cargo-test-pass.txt'))?.tests?.map((t) => t.status)).toEqual([
      'pass',
      'skip',
      'pass',
    ]);
  });
});

describe('pytest', () => {
  it('default (dots) output: failures and errors named from the sections and short summary', () => {
    const r = registry.parse('pytest', fixture('pytest-fail.txt'));
    expect(r?.tests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'test_math.py::test_fails',
          status: 'fail',
          message: 'AssertionError: math is broken',
        }),
        expect.objectContaining({
          name: 'test_math.py::test_error_fixture',
          status: 'fail',
          message: "fixture 'missing_fixture' not found",
        }),
      ]),
    );
    expect(r?.summary).toContain('1 failed, 1 passed, 1 skipped, 1 error in');
  });

  it('-v output names every test once', () => {
    const r = registry.parse('python -m pytest -v', fixture('pytest-verbose-fail.txt'));
    expect(r?.tests?.map((t) => [t.name, t.status])).toEqual([
      ['test_math.py::test_adds', 'pass'],
      ['test_math.py::test_fails', 'fail'],
      ['test_math.py::test_skipped', 'skip'],
      ['test_math.py::test_error_fixture', 'fail'],
    ]);
    expect(r?.tests?.[1]?.message).toBe('AssertionError: math is broken');
    expect(r?.tests?.[2]?.message).toBe('not today');
  });

  it('collection errors are fatal errors', () => {
    const s = registry.createStreamingParser('pytest');
    for (const line of fixture('pytest-collection-error.txt').split('\n')) s.onLine(line);
    s.end();
    expect(s.hasFatalError()).toBe(true);
    expect(s.result().errors).toEqual([
      expect.objectContaining({
        file: 'test_broken.py',
        message: expect.stringContaining("ModuleNotFoundError: No module named 'nonexistent_module_xyz'"),
      }),
    ]);
  });

  it('passing run', () => {
    const r = registry.parse('pytest -q', fixture('pytest-pass.txt'));
    expect(r?.errors).toEqual([]);
    expect(r?.summary).toMatch(/passed/);
  });
});

describe('go (hand-written fixtures in go formats)', () => {
  it('go build and go vet errors', () => {
    expect(registry.parse('go build ./...', fixture('go-build-fail.txt'))?.errors).toEqual([
      { severity: 'error', file: 'internal/store/store.go', line: 14, col: 2, message: 'undefined: fmtx' },
      expect.objectContaining({ line: 21, col: 9 }),
    ]);
    expect(registry.parse('go vet ./...', fixture('go-vet-fail.txt'))?.errors).toEqual([
      expect.objectContaining({ file: './main.go', line: 9, col: 2 }),
    ]);
  });

  it('go test text and -json give the same results, with coverage', () => {
    for (const [cmd, name] of [
      ['go test -cover ./...', 'go-test-fail.txt'],
      ['go test -json ./...', 'go-test-json.txt'],
    ] as const) {
      const r = registry.parse(cmd, fixture(name));
      expect(r?.tests?.find((t) => t.name === 'TestSub')).toMatchObject({
        status: 'fail',
        message: 'math_test.go:14: Sub(3, 1) = 1, want 2',
      });
      expect(r?.tests?.find((t) => t.name === 'TestAdd')?.status).toBe('pass');
      expect(r?.coverage).toBe(71.4);
      expect(r?.errors).toEqual([]);
    }
    const text = registry.parse('go test ./...', fixture('go-test-fail.txt'));
    expect(text?.tests?.map((t) => [t.name, t.status])).toEqual([
      ['TestAdd', 'pass'],
      ['TestSub', 'fail'],
      ['TestSkip', 'skip'],
      ['TestTable', 'pass'],
      ['TestTable/zero', 'pass'],
      ['TestTable/one', 'pass'],
    ]);
    expect(registry.parse('go test ./...', fixture('go-test-pass.txt'))?.coverage).toBe(85.7);
  });
});

describe('node --test spec reporter', () => {
  it.each(['node22', 'node26'])('reads results, failure message and file from %s output', (line) => {
    const r = registry.parse('node --test', fixture(`node-test-spec-${line}.txt`));
    expect(r?.tests?.map((t) => [t.name, t.status, t.message, t.file])).toEqual([
      ['adds', 'pass', undefined, undefined],
      ['fails', 'fail', 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:', 'node.test.mjs'],
      ['skipped', 'skip', undefined, undefined],
    ]);
  });
});

describe('npm install failures', () => {
  it.each([
    [
      'npm-eresolve.txt',
      'ERESOLVE',
      /unable to resolve dependency tree.*peer left-thing@"\^2.0.0" from plugin-thing@1.0.0/,
      undefined,
    ],
    ['npm-e404.txt', 'E404', /Not Found - GET http:\/\/127\.0\.0\.1:4873\/no-such-pkg-sylk/, 'no-such-pkg-sylk@^1.0.0'],
    ['npm-enotfound.txt', 'ENOTFOUND', /getaddrinfo ENOTFOUND registry.invalid/, undefined],
  ])('%s', (name, code, summary, pkg) => {
    const r = registry.parse('npm install', fixture(name));
    expect(r?.npm?.code).toBe(code);
    expect(r?.npm?.summary).toMatch(summary);
    expect(r?.npm?.package).toBe(pkg);
    expect(r?.errors).toEqual([expect.objectContaining({ rule: code, severity: 'error' })]);
  });

  it('old npm ERR! prefix and a clean install', () => {
    const old = fixture('npm-e404.txt').replaceAll('npm error', 'npm ERR!');
    expect(registry.parse('npm i', old)?.npm?.code).toBe('E404');
    const ok = registry.parse('npm ci', 'npm warn deprecated foo@1.0.0: use bar\n\nadded 12 packages in 2s\n');
    expect(ok?.errors).toEqual([]);
    expect(ok?.warnings).toEqual([expect.objectContaining({ rule: 'deprecated' })]);
    expect(ok?.summary).toContain('added 12 packages');
  });
});
