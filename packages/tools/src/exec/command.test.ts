import { describe, expect, it } from 'vitest';
import { isSylkError } from '@sylk/core';
import { needsShell, planCommand, tokenize, toolName } from './command.js';

describe('tokenize', () => {
  it('splits on whitespace and honours quotes and escapes', () => {
    expect(tokenize('echo "a b" c')).toEqual(['echo', 'a b', 'c']);
    expect(tokenize(`printf '%s\\n' "x \\"y\\"" z\\ w`)).toEqual(['printf', '%s\\n', 'x "y"', 'z w']);
    expect(tokenize('a  ""  b')).toEqual(['a', '', 'b']);
    expect(tokenize("it'" + "s'done")).toEqual(['its' + 'done']);
  });

  it('rejects unterminated quotes with a stable code', () => {
    try {
      tokenize('echo "oops');
      expect.unreachable();
    } catch (err) {
      expect(isSylkError(err) && err.code).toBe('tools.command_invalid');
    }
  });
});

describe('needsShell / planCommand', () => {
  it.each([
    'echo a | tr a b',
    'make && make test',
    'false || true',
    'a; b',
    'ls *.ts',
    'ls ?.ts',
    'echo $HOME',
    'echo `id`',
    'echo hi > out',
    'cat < in',
    'sleep 1 &',
    'FOO=1 env',
    'cd /tmp',
    'echo ~',
  ])('uses sh -c for %s', (command) => {
    expect(needsShell(command)).toBe(true);
    expect(planCommand(command)).toEqual({ mode: 'shell', file: 'sh', args: ['-c', command] });
  });

  it.each([
    ['git status --short', ['git', 'status', '--short']],
    ['echo "a b"', ['echo', 'a b']],
    ['node -e "1+1"', ['node', '-e', '1+1']],
  ])('execs %s directly', (command, argv) => {
    expect(planCommand(command)).toEqual({ mode: 'direct', file: argv[0], args: argv.slice(1) });
  });

  it('honours a configured metacharacter list', () => {
    expect(planCommand('echo a*b', ['|']).mode).toBe('direct');
  });

  it('refuses empty commands and NUL bytes', () => {
    expect(() => planCommand('   ')).toThrow(/empty/);
    expect(() => planCommand('echo a\0b')).toThrow(/NUL/);
  });

  it('names the tool for progress messages', () => {
    expect(toolName(planCommand('/usr/bin/git status'))).toBe('git');
    expect(toolName(planCommand('npm test | tee log'))).toBe('npm');
  });
});
