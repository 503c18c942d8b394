import { ErrorTier, SylkError } from '@sylk/core';

/**
 * Anything sh would interpret. Matching is on the raw string (also inside quotes): a false
 * positive only costs a `sh -c`, a false negative would run the wrong argv.
 */
export const DEFAULT_SHELL_METACHARACTERS: readonly string[] = [
  '|',
  '&',
  ';',
  '<',
  '>',
  '(',
  ')',
  '$',
  '`',
  '*',
  '?',
  '[',
  '~',
  '#',
  '\n',
];

/** Words that only exist inside a shell (builtins and keywords). */
const SHELL_WORDS = new Set([
  'cd',
  'export',
  'unset',
  'source',
  '.',
  'alias',
  'eval',
  'exec',
  'set',
  'ulimit',
  'umask',
  'if',
  'for',
  'while',
  'until',
  'case',
  'function',
  '{',
  '!',
  'readonly',
  'shift',
  'trap',
  'wait',
  'return',
  'exit',
]);

export type CommandPlan =
  { mode: 'direct'; file: string; args: string[] } | { mode: 'shell'; file: 'sh'; args: ['-c', string] };

function parseError(message: string, command: string): SylkError {
  return new SylkError(message, {
    tier: ErrorTier.Permanent,
    code: 'tools.command_invalid',
    details: { command },
    hint: 'Check the quoting of the command.',
  });
}

/**
 * Split a command into argv the way sh would for commands without shell syntax: whitespace
 * separates words, single quotes are literal, double quotes keep spaces (backslash escapes `"`
 * and `\`), a backslash outside quotes escapes the next character.
 * @internal exported for tests
 */
export function tokenize(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end === -1) throw parseError('unterminated single quote in command', command);
      word += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        const d = command[j] as string;
        if (d === '\\' && (command[j + 1] === '"' || command[j + 1] === '\\')) {
          word += command[j + 1];
          j++;
        } else word += d;
      }
      if (j >= command.length) throw parseError('unterminated double quote in command', command);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < command.length) word += command[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * True when the command needs `sh -c`.
 * @internal exported for tests
 */
export function needsShell(command: string, metacharacters: readonly string[] = DEFAULT_SHELL_METACHARACTERS): boolean {
  if (metacharacters.some((m) => command.includes(m))) return true;
  const first = command.trimStart().split(/[ \t]/, 1)[0] ?? '';
  return SHELL_WORDS.has(first) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(first);
}

/** Decide how to run a command: direct argv exec, or `sh -c` for shell syntax. */
export function planCommand(command: string, metacharacters?: readonly string[]): CommandPlan {
  if (command.includes('\0')) throw parseError('command contains a NUL byte', command.replace(/\0/g, '\\0'));
  if (command.trim() === '') throw parseError('command is empty', command);
  if (needsShell(command, metacharacters)) return { mode: 'shell', file: 'sh', args: ['-c', command] };
  const [file, ...args] = tokenize(command);
  if (file === undefined || file === '') throw parseError('command is empty', command);
  return { mode: 'direct', file, args };
}

/** A short name for progress messages: the program's base name. */
export function toolName(plan: CommandPlan): string {
  const program = plan.mode === 'direct' ? plan.file : plan.args[1].trim().split(/[\s|&;<>()`$'"]/)[0] || 'sh';
  const base = program.slice(program.lastIndexOf('/') + 1);
  return base === '' ? program : base;
}
