import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../main.js';
import { createRuntime } from '../runtime.js';
import { ARGUMENT_KINDS, OPTION_KINDS } from './slots.js';

const find = (program: Command, path: string): Command | undefined =>
  path.split(' ').reduce<Command | undefined>((c, name) => c?.commands.find((x) => x.name() === name), program);

describe('completion slots', () => {
  it('name commands and arguments that exist', async () => {
    const program = await buildProgram(createRuntime({}, '/tmp', new AbortController().signal));
    for (const [path, kinds] of Object.entries(ARGUMENT_KINDS)) {
      const cmd = find(program, path);
      expect(cmd, `sylk ${path}`).toBeDefined();
      expect(cmd?.registeredArguments.length, `arguments of sylk ${path}`).toBeGreaterThanOrEqual(kinds.length);
    }
  });

  it('name options that take a value wherever they appear', async () => {
    const program = await buildProgram(createRuntime({}, '/tmp', new AbortController().signal));
    const seen = new Set<string>();
    const visit = (cmd: Command) => {
      for (const o of cmd.options as Option[]) {
        if (o.long === undefined || !(o.long in OPTION_KINDS)) continue;
        seen.add(o.long);
        expect(o.required || o.optional, `${cmd.name()} ${o.long}`).toBe(true);
      }
      cmd.commands.forEach(visit);
    };
    visit(program);
    expect([...seen].sort()).toEqual(Object.keys(OPTION_KINDS).sort());
  });
});
