import { Argument, Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandSpec, commandWord, completeSlot, resolveSlot, type DaemonData } from './words.js';

/** A small tree shaped like sylk's: global value options, subcommands, variadic and choice arguments. */
function tree(): Command {
  const p = new Command('sylk').option('--json').option('--socket <path>').option('--profile <name>');
  p.command('attach').argument('<session>').option('--from <seq>').option('-y, --yes');
  p.command('send').argument('<session>').argument('<text...>');
  p.command('approve')
    .argument('<approval-id>')
    .addOption(new Option('--scope <scope>').choices(['once', 'always']));
  p.command('run').argument('[task...]').option('--provider <provider>').option('--model <model>');
  const ps = p.command('ps').description('processes').argument('[session]');
  ps.command('logs').description('its output').argument('<id>');
  ps.command('stop').description('stop it').argument('<id>');
  const config = p.command('config');
  config.command('get').argument('[key]');
  p.command('completion').addArgument(new Argument('<shell>').choices(['bash', 'zsh', 'fish']));
  return p;
}
const program = () => commandSpec(tree());
const COMMANDS = ['attach', 'send', 'approve', 'run', 'ps', 'config', 'completion'];

function data(over: Partial<Record<keyof DaemonData, unknown>> = {}): DaemonData & { asked: string[] } {
  const asked: string[] = [];
  const answer =
    <T>(name: keyof DaemonData, value: T) =>
    async () => {
      asked.push(name);
      return (name in over ? over[name] : value) as T;
    };
  return {
    asked,
    sessions: answer('sessions', [
      { id: 's_01abc', name: 'kind-fox', state: 'idle', project: 'app' },
      { id: 's_01abd', name: 'kind-owl', state: 'closed', project: 'app' },
      { id: 's_01xyz', name: '', state: 'running', project: 'lib' },
    ]),
    approvals: answer('approvals', [{ id: 'ap_7', summary: 'run npm test' }]),
    configKeys: answer('configKeys', ['llm.default_model', 'llm.default_provider', 'llm.timeout', 'daemon.log_level']),
    providers: answer('providers', [
      { name: 'anthropic', state: 'ok', models: ['claude-sonnet-4-5', 'claude-haiku-4-5'] },
      { name: 'openai', state: 'no key', models: ['gpt-5', 'gpt-5-mini'] },
    ]),
    processes: answer('processes', [{ id: 'bg_1', command: 'npm run dev', state: 'running' }]),
  };
}

async function complete(words: string[], d = data()): Promise<string[]> {
  const slot = resolveSlot(words, program(), COMMANDS);
  return slot === undefined ? [] : (await completeSlot(slot, d)).map((c) => c.value);
}

describe('completion: words → candidates', () => {
  it('completes top-level commands and global options without asking the daemon', async () => {
    const d = data();
    expect(await complete([''], d)).toEqual(COMMANDS);
    expect(await complete(['a'], d)).toEqual(['attach', 'approve']);
    expect(await complete(['--so'], d)).toEqual(['--socket']);
    // With the whole tree (zsh, fish): what each command does; with only the names (bash): bare.
    const fixed = resolveSlot([''], program(), COMMANDS)?.fixed ?? [];
    expect(fixed.find((c) => c.value === 'ps')).toEqual({ value: 'ps', description: 'processes' });
    const bare = resolveSlot([''], { ...program(), commands: [] }, COMMANDS)?.fixed ?? [];
    expect(bare.find((c) => c.value === 'ps')).toEqual({ value: 'ps' });
    expect(await complete(['--socket', '/x/s.sock', 'c'], d)).toEqual(['config', 'completion']);
    expect(d.asked).toEqual([]);
  });

  it('names open sessions where a command takes one; ids once typed; nothing after the argument', async () => {
    expect(await complete(['attach', ''])).toEqual(['kind-fox', 's_01xyz']);
    expect(await complete(['attach', 'kind'])).toEqual(['kind-fox']);
    expect(await complete(['attach', 's_01a'])).toEqual(['s_01abc']);
    expect(await complete(['attach', '--from', '3', ''])).toEqual(['kind-fox', 's_01xyz']);
    expect(await complete(['--json', 'send', 'kind-fox', ''])).toEqual([]);
    expect(await complete(['attach', '-'])).toEqual([
      '--from',
      '--yes',
      '-y',
      '--json',
      '--socket',
      '--profile',
      '--help',
    ]);
  });

  it('completes approval ids, config keys, processes and choices', async () => {
    expect(await complete(['approve', ''])).toEqual(['ap_7']);
    expect(await complete(['approve', 'ap_7', '--scope', ''])).toEqual(['once', 'always']);
    expect(await complete(['config', 'get', 'llm.def'])).toEqual(['llm.default_model', 'llm.default_provider']);
    expect(await complete(['config', ''])).toEqual(['get']);
    expect(await complete(['ps', 'logs', ''])).toEqual(['bg_1']);
    expect(await complete(['ps', ''])).toEqual(['logs', 'stop', 'kind-fox', 's_01xyz']);
    expect(await complete(['completion', 'z'])).toEqual(['zsh']);
  });

  it('completes providers, and models of the provider already given', async () => {
    expect(await complete(['run', '--provider', ''])).toEqual(['anthropic', 'openai']);
    expect(await complete(['run', '--model', 'gpt'])).toEqual(['gpt-5', 'gpt-5-mini']);
    expect(await complete(['run', '--provider', 'anthropic', '--model', ''])).toEqual([
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
    ]);
    expect(await complete(['run', '--provider=openai', '--model=gpt-5-'])).toEqual(['--model=gpt-5-mini']);
  });

  it('carries descriptions for the shells that show them', async () => {
    const slot = resolveSlot(['attach', ''], program(), COMMANDS);
    expect(slot && (await completeSlot(slot, data()))[0]).toEqual({ value: 'kind-fox', description: 'idle · app' });
  });

  it('falls back to what the tree knows when the daemon does not answer', async () => {
    const none = data({ sessions: undefined, processes: undefined });
    expect(await complete(['ps', ''], none)).toEqual(['logs', 'stop']);
    expect(await complete(['attach', ''], none)).toEqual([]);
  });

  it('offers nothing after an unknown command', () => {
    expect(resolveSlot(['nosuch', ''], program(), COMMANDS)).toBeUndefined();
  });

  it('finds the command word past global options and their values', () => {
    expect(commandWord(['--socket', '/x', '--json', 'attach'], program())).toBe('attach');
    expect(commandWord(['--profile', 'work'], program())).toBeUndefined();
    expect(commandWord(['--', 'attach'], program())).toBeUndefined();
  });
});
