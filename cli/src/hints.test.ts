// Every `sylk …` command line that a message of the CLI, the daemon or a package tells the user
// to run must name a command, subcommand and flags that exist, so a renamed command fails here.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';
import { createRuntime } from './runtime.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/** Strings that say "sylk" followed by a word without being a command line. */
const PROSE = new Set([
  'sylk bash completion',
  'sylk zsh completion',
  'sylk fish completion',
  'sylk and',
  'sylk and sylkd disagree about the protocol',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function roots(): string[] {
  const packages = readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'src'));
  return [join(ROOT, 'cli', 'src'), join(ROOT, 'daemon', 'src'), ...packages.filter((p) => existsSync(p))];
}

/** The text of every string literal of a file; a template's `${…}` parts become `<x>`. */
function stringLiterals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node))
      out.push(node.head.text + node.templateSpans.map((s) => `<x>${s.literal.text}`).join(''));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const TOKEN = /^(?:[a-z][a-z0-9-]*|--?[a-zA-Z][\w-]*(?:=\S*)?|<[^>\s]*>|\[[^\]\s]*\]|"[^"]*"|'[^']*'|[\w./@$%…-]+)$/;

/** `sylk word …` in a string: the words up to the first thing that is not part of a command line. */
function commandLines(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\w-])sylk ([a-z][^`\n|;()]*)/g)) {
    const words: string[] = [];
    for (const raw of (m[1] ?? '').split(' ')) {
      const word = raw.replace(/[,.:]$/, '');
      if (word === '' || !TOKEN.test(word)) break;
      words.push(word);
      if (word !== raw) break;
    }
    found.push(['sylk', ...words].join(' '));
  }
  return found;
}

/** What is wrong with a command line for the CLI's own command tree, or undefined. */
function problem(program: Command, line: string): string | undefined {
  const words = line.split(' ').slice(1);
  let cmd = program;
  const chain = [program];
  let i = 0;
  for (; i < words.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === words[i] || c.aliases().includes(words[i] ?? ''));
    if (!sub) break;
    cmd = sub;
    chain.push(sub);
  }
  if (cmd === program) return `unknown command '${words[0]}'`;
  for (const word of words.slice(i)) {
    if (word === '--') break;
    // `-` is an operand (standard input), as is a negative number.
    if (!word.startsWith('-') || word === '-' || /^-\d/.test(word)) continue;
    const flag = word.split('=')[0] ?? word;
    if (flag === '-h' || flag === '--help') continue;
    if (!chain.some((c) => c.options.some((o) => o.is(flag)))) return `'${cmd.name()}' has no option ${flag}`;
  }
  return undefined;
}

describe('hints', () => {
  it('are found in string literals and checked against the command tree', async () => {
    const program = await buildProgram(createRuntime({}, '/tmp', new AbortController().signal));
    expect(commandLines('Run `sylk ls --all` to see them, or (sylk approvals).')).toEqual([
      'sylk ls --all',
      'sylk approvals',
    ]);
    expect(commandLines('printf %s "$KEY" | sylk auth login <x> --api-key-stdin')).toEqual([
      'sylk auth login <x> --api-key-stdin',
    ]);
    expect(problem(program, 'sylk sessions')).toBe("unknown command 'sessions'");
    expect(problem(program, 'sylk ls --bogus')).toBe("'ls' has no option --bogus");
    expect(problem(program, 'sylk daemon logs -f --json')).toBeUndefined();
    expect(problem(program, 'sylk mcp add <name> -- <command> --whatever')).toBeUndefined();
  });

  it('name commands and flags that exist', async () => {
    const program = await buildProgram(createRuntime({}, '/tmp', new AbortController().signal));
    const lines: { at: string; line: string }[] = [];
    for (const root of roots())
      for (const file of sourceFiles(root))
        for (const text of stringLiterals(file))
          for (const line of commandLines(text)) lines.push({ at: relative(ROOT, file), line });
    const checked = lines.filter((l) => !PROSE.has(l.line));
    expect(checked.length).toBeGreaterThan(20);
    const wrong = checked.flatMap((l) => {
      const why = problem(program, l.line);
      return why === undefined ? [] : [`${l.at}: '${l.line}': ${why}`];
    });
    expect(wrong).toEqual([]);
  });
});
