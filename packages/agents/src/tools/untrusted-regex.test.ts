import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../testing/tool-env.js';
import { globMatcher } from './glob.js';
import { searchTool } from './search.js';
import { compileUntrusted, UNTRUSTED_REGEX_LIMITS, type UntrustedRegex } from './untrusted-regex.js';

// Catastrophic for a backtracking engine (exponential or high-degree polynomial) on these inputs.
// "No catastrophic backtracking" is shown by the algorithm: every one compiles to RE2JS (linear
// time by construction) and the answers are right; nothing here measures time.
const CATASTROPHIC: ReadonlyArray<readonly [pattern: string, input: string, matches: boolean]> = [
  ['(a+)+$', `${'a'.repeat(27)}!`, false], // issue 13: these 28 bytes froze the daemon for ~8 s
  ['^(a+)+$', `${'a'.repeat(40)}!`, false],
  ['(a|a)*b', 'a'.repeat(40), false],
  ['^(a|aa)+$', `${'a'.repeat(60)}b`, false],
  ['(.*a){20}', 'a'.repeat(19) + 'b'.repeat(2000), false],
  ['(.*a){20}', 'a'.repeat(20), true],
  ['(x+x+)+y', 'x'.repeat(50), false],
  ['^(\\w+\\s?)*$', `${'word '.repeat(30)}!`, false],
];

function compiled(pattern: string, ignoreCase = false): UntrustedRegex {
  const result = compileUntrusted(pattern, { ignoreCase });
  if (!result.ok) throw new Error(result.message);
  return result.regex;
}

describe('compileUntrusted', () => {
  it.each(CATASTROPHIC)('runs %s on its adversarial input with the linear-time engine', (pattern, input, matches) => {
    const regex = compiled(pattern);
    expect(regex.engine).toBe('re2js');
    expect(regex.test(input)).toBe(matches);
  });

  it('keeps JavaScript meaning for the common syntax and translates \\u escapes', () => {
    expect(compiled('\\bfoo\\d{2,3}\\b').test('x foo123 y')).toBe(true);
    expect(compiled('^\\s*export\\s+(?:async\\s+)?function').test('  export async function f()')).toBe(true);
    expect(compiled('(?<name>[A-Z]\\w+)Error').test('TypeError')).toBe(true);
    expect(compiled('caf\\u00e9|\\u{1F600}').test('café')).toBe(true);
    expect(compiled('a\\/b').test('a/b')).toBe(true);
    expect(compiled('HELLO', true).test('say hello')).toBe(true);
    expect(compiled('HELLO').test('say hello')).toBe(false);
    expect(compiled('(?i)hello').test('HeLLo')).toBe(true);
  });

  it('says what to use instead of lookaround and backreferences', () => {
    for (const pattern of ['foo(?=bar)', 'foo(?!bar)', '(?<=a)b', '(?<!a)b']) {
      expect(compileUntrusted(pattern)).toMatchObject({
        ok: false,
        message: expect.stringContaining('Lookahead and lookbehind'),
      });
    }
    for (const pattern of ['(a)\\1', '(?<q>["\'])x\\k<q>']) {
      expect(compileUntrusted(pattern)).toMatchObject({
        ok: false,
        message: expect.stringContaining('Backreferences'),
      });
    }
    // Inside a class those characters are literal, and \\1 escaped is not a backreference.
    expect(compiled('[(?=]x').test('=x')).toBe(true);
    expect(compiled('\\\\1').test('\\1')).toBe(true);
  });

  it('reports other syntax errors, over-long patterns and oversized programs as messages, never throws', () => {
    expect(compileUntrusted('(')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Invalid regular expression \/\(\/: missing closing \)/),
    });
    expect(compileUntrusted('a++')).toMatchObject({ ok: false, message: expect.stringContaining('RE2 syntax') });
    const long = 'a'.repeat(UNTRUSTED_REGEX_LIMITS.maxPatternChars + 1);
    expect(compileUntrusted(long)).toMatchObject({ ok: false, message: expect.stringContaining('Pattern too long') });
    expect(compileUntrusted('a[ab]{999}[^ab]')).toMatchObject({
      ok: false,
      message: expect.stringContaining('too large'),
    });
    expect(compileUntrusted('((a{100}){100}){100}')).toMatchObject({ ok: false });
  });
});

describe('search with hostile patterns', () => {
  let p: TempProject | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  it('answers (a+)+$ and friends on crafted files, and never hands the pattern to RegExp', async () => {
    p = tempProject({ 'evil.txt': `${'a'.repeat(27)}!\n${'a'.repeat(60)}b\n${'x'.repeat(50)}\n`, 'ok.txt': 'plain\n' });
    const original = globalThis.RegExp;
    const constructed: string[] = [];
    globalThis.RegExp = new Proxy(original, {
      construct(target, args: [string | RegExp, string?]) {
        constructed.push(String(args[0]));
        return Reflect.construct(target, args) as RegExp;
      },
      apply(target, _this, args: [string | RegExp, string?]) {
        constructed.push(String(args[0]));
        return Reflect.apply(target, undefined, args) as RegExp;
      },
    });
    try {
      const redos = await searchTool.run({ pattern: '^(a+)+$' }, p.env);
      expect(redos).toMatchObject({ isError: false, content: 'No matches for /^(a+)+$/ in 2 files.' });
      const alt = await searchTool.run({ pattern: '^(a|aa)+b$' }, p.env);
      expect(alt.content).toBe(`evil.txt:2: ${'a'.repeat(60)}b`);
      const nested = await searchTool.run({ pattern: '(x+x+)+y', glob: '*.txt' }, p.env);
      expect(nested.content).toBe('No matches for /(x+x+)+y/ in 2 files.');
      const end = await searchTool.run({ pattern: '(a|a)*!$', path: 'evil.txt' }, p.env);
      expect(end.content).toBe(`evil.txt:1: ${'a'.repeat(27)}!`);
    } finally {
      globalThis.RegExp = original;
    }
    expect(constructed.filter((source) => /\(a\+\)\+|\(a\|aa\)|\(x\+x\+\)|\(a\|a\)/.test(source))).toEqual([]);
  });

  it('turns unsupported syntax into a tool error that says what to do', async () => {
    p = tempProject({ 'a.txt': 'foobar\n' });
    const look = await searchTool.run({ pattern: 'foo(?!baz)' }, p.env);
    expect(look).toMatchObject({
      isError: true,
      content: expect.stringContaining('Match the surrounding text instead'),
    });
    const back = await searchTool.run({ pattern: '(o)\\1' }, p.env);
    expect(back).toMatchObject({ isError: true, content: expect.stringContaining('Backreferences') });
    const badGlob = await searchTool.run({ pattern: 'foo', glob: '[z-a]*x*' }, p.env);
    expect(badGlob).toMatchObject({ isError: true, content: expect.stringContaining('Invalid glob') });
  });
});

describe('globMatcher', () => {
  it('runs many-star globs (model- or repo-supplied) on RE2JS and keeps their meaning', () => {
    const evil = globMatcher('*a*a*a*a*a*a*a*a*a*a*b');
    expect(evil.engine).toBe('re2js');
    expect(evil(`dir/${'a'.repeat(200)}`)).toBe(false);
    expect(evil('xaaaaaaaaaaxb')).toBe(true);
    const braces = globMatcher('src/**/*.{ts,tsx}');
    expect(braces.engine).toBe('re2js');
    expect(braces('src/a/b/c.tsx')).toBe(true);
    expect(braces('lib/c.ts')).toBe(false);
    expect(globMatcher('*.log').engine).toBe('regexp');
    expect(globMatcher('*.log')('a/b/debug.log')).toBe(true);
    expect(() => globMatcher('x'.repeat(1001))).toThrow('Glob too long');
  });
});
