/**
 * Differential test of `parseShellLine` against tree-sitter-bash over generated and real-world
 * lines. The property that matters: whenever bash would run something the parser did not extract
 * (a command inside `$( … )`, a second command, a redirection, an assignment, a here-doc, a
 * function…), the parser must not answer "these simple commands with exactly these words"; where
 * tree-sitter finds a syntax error, the parser must refuse the line (which asks). Where
 * tree-sitter itself deviates from bash, `bash -n` (parse only, nothing runs) decides.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadBash, type RefCommand, type RefLine, type RefWord } from '../../test-fixtures/bash-reference.js';
import { ShellLineGenerator, seededRandom } from '../../test-fixtures/shell-generator.js';
import { parseShellLine, type ShellCommand, type ShellWord } from './shell.js';

const bash = await loadBash();
const GENERATED = 3000;

/** Real-world agent command lines; a line `<<<` starts a multi-line entry that `>>>` ends. */
function corpus(): string[] {
  const text = readFileSync(new URL('../../test-fixtures/shell-corpus.txt', import.meta.url), 'utf8');
  const out: string[] = [];
  let block: string[] | undefined;
  for (const line of text.split('\n')) {
    if (block !== undefined) {
      if (line === '>>>') {
        out.push(block.join('\n'));
        block = undefined;
      } else block.push(line);
    } else if (line === '<<<') block = [];
    else if (line.trim() !== '' && !line.startsWith('## ')) out.push(line);
  }
  return out;
}

function generated(count: number, seed: number): string[] {
  const generator = new ShellLineGenerator(seededRandom(seed));
  return Array.from({ length: count }, () => generator.line());
}

/** Why the parser's word differs from bash's in a way that matters, or undefined. */
function wordProblem(sylk: ShellWord, ref: RefWord): string | undefined {
  const unknown = sylk.expands === true;
  if (ref.expands || ref.mixed || ref.assignmentTilde)
    return unknown ? undefined : `"${sylk.value}" is marked known, bash expands it`;
  if (unknown) return undefined;
  if (sylk.value !== ref.value) return `"${sylk.value}" is "${ref.value}" for bash`;
  if ((sylk.glob === true) !== ref.glob) return `"${sylk.value}" glob ${sylk.glob === true}, bash ${ref.glob}`;
  if (sylk.tilde !== ref.tilde) return `"${sylk.value}" tilde ${sylk.tilde}, bash ${ref.tilde}`;
  return undefined;
}

function commandProblem(sylk: ShellCommand, ref: RefCommand): string | undefined {
  if (ref.opaqueWords === true) return sylk.words[0]?.value.startsWith('[') === true ? undefined : 'not a "[" command';
  const names = sylk.assignments.map((a) => a.slice(0, a.indexOf('=')).replace(/\+$/, ''));
  if (names.join(' ') !== ref.assignments.join(' ')) return `assignments ${names} vs ${ref.assignments}`;
  if (sylk.words.length !== ref.words.length) return `${sylk.words.length} words vs ${ref.words.length}`;
  for (const [i, word] of sylk.words.entries()) {
    const problem = wordProblem(word, ref.words[i] as RefWord);
    if (problem !== undefined) return problem;
  }
  if (sylk.redirects.length !== ref.redirects.length)
    return `${sylk.redirects.length} redirections vs ${ref.redirects.length}`;
  for (const [i, r] of sylk.redirects.entries()) {
    const other = ref.redirects[i];
    if (other === undefined || r.mode !== other.mode) return `redirection ${i} mode`;
    const problem = wordProblem(r.target, other.target);
    if (problem !== undefined) return `redirection target: ${problem}`;
  }
  return undefined;
}

/** Every command bash runs matches one the parser extracted, and the parser extracted no other. */
function difference(line: string, ref: RefLine, parsed = parseShellLine(line)): string | undefined {
  if (!parsed.ok) return undefined; // refusing asks, which is always safe
  if (ref.syntaxError) return 'tree-sitter finds a syntax error, the parser accepts the line';
  if (ref.unsupported.length > 0) return `the parser accepts ${ref.unsupported.join(', ')}`;
  const left = [...parsed.commands];
  const refs = ref.commands.filter(
    (c) => c.opaqueWords === true || c.words.length > 0 || c.redirects.length > 0 || c.assignments.length > 0,
  );
  for (const want of refs) {
    const problems: string[] = [];
    const at = left.findIndex((got) => {
      const problem = commandProblem(got, want);
      if (problem !== undefined) problems.push(`${got.text}: ${problem}`);
      return problem === undefined;
    });
    if (at === -1)
      return `bash runs ${JSON.stringify(want.text)}, the parser has no such command (${problems.join('; ')})`;
    left.splice(at, 1);
  }
  if (left.length > 0)
    return `the parser extracted ${JSON.stringify(left.map((c) => c.text))}, which bash does not run`;
  return undefined;
}

/**
 * Where tree-sitter-bash reads words differently from bash. Generated lines of these shapes are
 * left out of the comparison (the generator avoids most of them); each example is a fixed,
 * harmless `printf` that a real bash runs to show how it splits the words, and the parser must
 * split them the same way.
 */
const TREE_SITTER_DEVIATIONS: { why: string; shape: RegExp; example: string; bash: string[] }[] = [
  {
    why: 'a lone "-" before a redirection is an argument',
    shape: /(^|\s)-\s+\d*[<>]/,
    example: 'printf "<%s>" a - 2>/dev/null',
    bash: ['a', '-'],
  },
  { why: 'an escaped blank is a word', shape: /\\[ \t]/, example: 'printf "<%s>" a \\  b', bash: ['a', ' ', 'b'] },
  {
    why: 'a backslash-newline inside a word joins it',
    shape: /\\\n/,
    example: 'printf "<%s>" a\\\nb c',
    bash: ['ab', 'c'],
  },
  {
    why: 'an escaped "$" after a quote is literal',
    shape: /["']\\\$/,
    example: 'printf "<%s>" a""\\$',
    bash: ['a\\$'],
  },
  {
    why: 'a lone "$" is a word of its own',
    shape: /(^|[\s=`(])\$([ \t\n]|$)/,
    example: 'printf "<%s>" `$ $_ x 2>/dev/null`y',
    bash: ['y'],
  },
  {
    why: 'backticks side by side are two substitutions',
    shape: /`[^`]*`[ \t]*`/,
    example: 'printf "<%s>" `echo a``echo b` `echo c`',
    bash: ['ab', 'c'],
  },
  {
    why: 'an escape first on a line is a word',
    shape: /\n\\/,
    example: 'printf "<%s>" a\n\\{ 2>/dev/null',
    bash: ['a'],
  },
  {
    why: '"!" joined to a word is no negation',
    shape: /(^|[\s;&|(])![^\s]/,
    example: 'printf "<%s>" x; !"a" 2>/dev/null',
    bash: ['x'],
  },
  {
    why: '"[[" joined to a word is no keyword',
    shape: /(^|[\s;&|(])\[\[[^\s]/,
    example: 'printf "<%s>" x; [[a 2>/dev/null',
    bash: ['x'],
  },
  {
    why: 'carriage return, escape, no-break space and line separator are not blanks',
    shape: /[\r\u001b\u00a0\u2028]/,
    example: 'printf "<%s>" a\rb a\u001bb a\u00a0b a\u2028b',
    bash: ['a\rb', 'a\u001bb', 'a\u00a0b', 'a\u2028b'],
  },
];

/** What bash itself says about a line's syntax: `bash -n` parses without running anything. */
function bashAccepts(line: string): boolean {
  const result = spawnSync('bash', ['-n'], { input: line, env: {}, cwd: tmpdir(), timeout: 10_000 });
  if (result.error !== undefined) throw result.error;
  return result.status === 0;
}

interface Outcome {
  differences: string[];
  /** Lines tree-sitter finds a syntax error in and bash does not: tree-sitter is the one deviating. */
  treeSitterDeviations: string[];
  /** Lines the parser refuses although tree-sitter reads them as plain commands. */
  refused: string[];
  /** Lines left out for a known tree-sitter deviation. */
  skipped: string[];
  accepted: number;
  syntaxErrors: number;
}

/** `skipDeviations`: leave out lines shaped like a known tree-sitter deviation (the shapes ignore quoting, so they also catch harmless lines). */
function compare(lines: readonly string[], skipDeviations: boolean): Outcome {
  const out: Outcome = {
    differences: [],
    treeSitterDeviations: [],
    refused: [],
    skipped: [],
    accepted: 0,
    syntaxErrors: 0,
  };
  for (const line of lines) {
    if (skipDeviations && TREE_SITTER_DEVIATIONS.some((d) => d.shape.test(line))) {
      out.skipped.push(line);
      continue;
    }
    const ref = bash(line);
    const parsed = parseShellLine(line);
    if (ref.syntaxError) out.syntaxErrors++;
    if (parsed.ok) out.accepted++;
    else if (!ref.syntaxError && ref.unsupported.length === 0) out.refused.push(line);
    const diff = difference(line, ref, parsed);
    if (diff === undefined) continue;
    if (ref.syntaxError && bashAccepts(line)) out.treeSitterDeviations.push(line);
    else out.differences.push(`${JSON.stringify(line)}: ${diff}`);
  }
  return out;
}

describe('parseShellLine against tree-sitter-bash', () => {
  it('agrees on the real-world corpus, and accepts nearly all of it', () => {
    const lines = corpus();
    expect(lines.length).toBeGreaterThan(200);
    // The corpus is ordinary work: refusing a line of it would make every such line ask.
    expect(compare(lines, false)).toMatchObject({
      differences: [],
      treeSitterDeviations: [],
      refused: [],
      skipped: [],
    });
  });

  it(`never concludes less than bash runs on ${GENERATED} generated lines`, () => {
    const lines = generated(GENERATED, 0x5eed);
    const outcome = compare(lines, true);
    expect(outcome.differences.slice(0, 20)).toEqual([]);
    // tree-sitter's own slips (bash -n accepts what it marks as an error) stay rare, and so do
    // the lines left out for its known deviations.
    expect(outcome.treeSitterDeviations.length).toBeLessThan(GENERATED / 50);
    expect(outcome.skipped.length).toBeLessThan(GENERATED / 6);
    // The generator reaches both outcomes, so the comparison is not vacuous.
    expect(outcome.accepted).toBeGreaterThan(GENERATED / 4);
    expect(outcome.syntaxErrors).toBeGreaterThan(GENERATED / 50);
  });

  it.each(TREE_SITTER_DEVIATIONS)(
    'tree-sitter deviates, bash and the parser agree: $why',
    ({ shape, example, bash: words }) => {
      expect(shape.test(example)).toBe(true);
      expect(difference(example, bash(example))).toBeDefined();
      // A fixed printf, never a generated line: it shows each word bash passes, between < and >.
      const run = spawnSync('bash', ['-c', example], { env: {}, cwd: tmpdir(), encoding: 'utf8', timeout: 10_000 });
      const printed = [...run.stdout.matchAll(/<([^>]*)>/g)].map((m) => m[1]);
      expect(printed).toHaveLength(words.length);
      words.forEach((w, i) => expect(printed[i]).toMatch(new RegExp(`^${w}$`)));
      const parsed = parseShellLine(example);
      expect(parsed.ok).toBe(true);
      const printfs = parsed.ok ? parsed.commands.filter((c) => c.words[0]?.value === 'printf') : [];
      const sylk = printfs.flatMap((c) => c.words.slice(2));
      expect(sylk.map((w, i) => (w.expands === true ? printed[i] : w.value))).toEqual(printed);
    },
  );
});
