import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_GROUP,
  COMMAND_GROUPS,
  buildProgram,
  groupsFor,
  withDefaultCommand,
  type CommandGroup,
} from './main.js';
import { createRuntime } from './runtime.js';

const rt = () => createRuntime({}, '/tmp', new AbortController().signal);

describe('lazy command groups', () => {
  it('maps every top-level command to the group that registers it, and nothing else', async () => {
    const registered: [string, CommandGroup][] = [];
    for (const group of Object.keys(COMMAND_GROUPS) as CommandGroup[]) {
      const program = new Command('sylk');
      (await COMMAND_GROUPS[group]())(program, rt());
      for (const cmd of program.commands) registered.push([cmd.name(), group]);
    }
    expect(Object.fromEntries(registered)).toEqual(COMMAND_GROUP);
  });

  it('loads only the named command’s group, or all of them for help and typos', () => {
    const all = Object.keys(COMMAND_GROUPS);
    expect(groupsFor(['status'])).toEqual(['status']);
    expect(groupsFor(['--json', '--socket', '/x/run', 'attach', 'kind-fox'])).toEqual(['sessions']);
    expect(groupsFor(['--profile', 'work', 'usage', '--json'])).toEqual(['usage']);
    expect(groupsFor(['--socket=/x', 'daemon', 'logs'])).toEqual(['daemon']);
    expect(groupsFor(['completion', 'bash'])).toEqual(['completion']);
    for (const argv of [
      [],
      ['--help'],
      ['stauts'],
      ['help', 'config'],
      ['--', 'status'],
      ['--version', '--help'],
      ['--', '-V'],
    ])
      expect(groupsFor(argv)).toEqual(all);
    for (const argv of [['--version'], ['-V'], ['--no-color', '-V']]) expect(groupsFor(argv)).toEqual([]);
  });

  it('builds the full program in --help order', async () => {
    const program = await buildProgram(rt());
    expect(program.commands.map((c) => c.name()).slice(0, 3)).toEqual(['run', 'new', 'ls']);
    expect(program.commands.map((c) => c.name())).toContain('completion');
  });
});

describe('bare sylk', () => {
  it('is `sylk run` in a terminal, and `sylk -c` anywhere; help, version, --json and commands are left alone', () => {
    expect(withDefaultCommand([], () => true)).toEqual(['run']);
    expect(withDefaultCommand(['--socket', '/x', '--no-color'], () => true)).toEqual([
      'run',
      '--socket',
      '/x',
      '--no-color',
    ]);
    expect(withDefaultCommand(['-c'], () => false)).toEqual(['run', '-c']);
    expect(withDefaultCommand([], () => false)).toEqual([]);
    expect(withDefaultCommand(['--json'], () => true)).toEqual(['--json']);
    expect(withDefaultCommand(['--help'], () => true)).toEqual(['--help']);
    expect(withDefaultCommand(['-V'], () => true)).toEqual(['-V']);
    expect(withDefaultCommand(['ls', '-a'], () => true)).toEqual(['ls', '-a']);
    // With a command the terminal is not even asked about (process.stdin is costly to create).
    const unasked = () => {
      throw new Error('asked about the terminal');
    };
    expect(withDefaultCommand(['status'], unasked)).toEqual(['status']);
  });
});
