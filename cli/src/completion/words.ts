import type { Argument, Command, Option } from 'commander';
import { OPTION_KINDS, argumentKind, type ValueKind } from './slots.js';

/** One completion: the word, and a short description for the shells that show one (zsh, fish). */
export interface Candidate {
  value: string;
  description?: string;
}

export interface SessionEntry {
  id: string;
  name: string;
  state: string;
  project: string;
}
export interface ApprovalEntry {
  id: string;
  summary: string;
}
export interface ProviderEntry {
  name: string;
  state: string;
  models: string[];
}
export interface ProcessEntry {
  id: string;
  command: string;
  state: string;
}

/** What the running daemon knows; each answer is undefined when no daemon answered (static completion only). */
export interface DaemonData {
  sessions(): Promise<SessionEntry[] | undefined>;
  approvals(): Promise<ApprovalEntry[] | undefined>;
  configKeys(): Promise<string[] | undefined>;
  providers(): Promise<ProviderEntry[] | undefined>;
  processes(): Promise<ProcessEntry[] | undefined>;
}

/**
 * What completion needs of a command tree, as plain data: cached in the runtime directory, so a
 * Tab press does not load (and run the module code of) the command's group.
 */
export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  args: ArgumentSpec[];
  commands: CommandSpec[];
}
interface OptionSpec {
  long?: string;
  short?: string;
  value?: 'required' | 'optional';
  choices?: readonly string[];
}
interface ArgumentSpec {
  variadic: boolean;
  choices?: readonly string[];
}

/** The spec of a commander tree (hidden options and the implicit `help` command left out). */
export function commandSpec(cmd: Command): CommandSpec {
  const option = (o: Option): OptionSpec => ({
    ...(o.long ? { long: o.long } : {}),
    ...(o.short ? { short: o.short } : {}),
    ...(o.required ? { value: 'required' as const } : o.optional ? { value: 'optional' as const } : {}),
    ...(o.argChoices ? { choices: o.argChoices } : {}),
  });
  const argument = (a: Argument): ArgumentSpec => ({
    variadic: a.variadic,
    ...(a.argChoices ? { choices: a.argChoices } : {}),
  });
  return {
    name: cmd.name(),
    description: cmd.description(),
    options: (cmd.options as Option[]).filter((o) => !o.hidden).map(option),
    args: cmd.registeredArguments.map(argument),
    commands: cmd.commands.filter((c) => c.name() !== 'help').map(commandSpec),
  };
}

/** Where the cursor is, as far as the command tree tells. */
export interface Slot {
  /** Subcommands, options and choices: known without the daemon. */
  fixed: Candidate[];
  /** Values the daemon has for this position. */
  kind?: ValueKind;
  /** The typed part of the word being completed (after `--option=`). */
  prefix: string;
  /** `--option=` when the value is completed inside the option's word. */
  lead: string;
  /** Values of the value options already given, by long name (`--provider` → `openai`). */
  given: ReadonlyMap<string, string>;
}

const optionName = (o: OptionSpec): string => o.long ?? o.short ?? '';
const choices = (x: OptionSpec | ArgumentSpec | undefined): Candidate[] =>
  (x?.choices ?? []).map((value) => ({ value }));

/** Options recognised at the end of `chain` (root first): its own and, as commander parses them, every ancestor's. */
const optionsOf = (chain: readonly CommandSpec[]): OptionSpec[] => [...chain].reverse().flatMap((c) => c.options);

const findOption = (chain: readonly CommandSpec[], word: string): OptionSpec | undefined =>
  optionsOf(chain).find((o) => o.long === word || o.short === word);

/** The top-level command among the completed words, if one was typed (values of global options skipped). */
export function commandWord(done: readonly string[], root: CommandSpec): string | undefined {
  for (let i = 0; i < done.length; i++) {
    const word = done[i] as string;
    if (word === '--') return undefined;
    if (!word.startsWith('-') || word.length === 1) return word;
    if (findOption([root], word)?.value !== undefined) i++;
  }
  return undefined;
}

function valueSlot(opt: OptionSpec, prefix: string, lead: string, given: Map<string, string>): Slot {
  const kind = opt.long === undefined ? undefined : OPTION_KINDS[opt.long];
  return { fixed: choices(opt), ...(kind ? { kind } : {}), prefix, lead, given };
}

/**
 * Where `words` (the arguments after `sylk`, the last one being the word under the cursor, maybe
 * empty) put the cursor in the command tree. `commands`: the top-level command names (`root`
 * may hold only the group of the typed command). Undefined for an unknown command.
 */
export function resolveSlot(
  words: readonly string[],
  root: CommandSpec,
  commands: readonly string[],
): Slot | undefined {
  const done = words.slice(0, -1);
  const current = words[words.length - 1] ?? '';
  const given = new Map<string, string>();
  const chain: CommandSpec[] = [root];
  let positional = 0;
  let afterDashes = false;
  let pending: OptionSpec | undefined;
  for (const word of done) {
    if (pending !== undefined && !(pending.value === 'optional' && word.startsWith('-'))) {
      given.set(optionName(pending), word);
      pending = undefined;
      continue;
    }
    pending = undefined;
    const cmd = chain[chain.length - 1] as CommandSpec;
    if (!afterDashes && word === '--') {
      afterDashes = true;
    } else if (!afterDashes && word.startsWith('-') && word.length > 1) {
      const eq = word.indexOf('=');
      const opt = findOption(chain, eq > 0 ? word.slice(0, eq) : word);
      if (opt?.value !== undefined) {
        if (eq > 0) given.set(optionName(opt), word.slice(eq + 1));
        else pending = opt;
      }
    } else {
      const sub = positional === 0 && !afterDashes ? cmd.commands.find((c) => c.name === word) : undefined;
      if (sub !== undefined) chain.push(sub);
      else if (chain.length === 1) return undefined;
      else positional++;
    }
  }
  if (pending !== undefined) return valueSlot(pending, current, '', given);
  if (!afterDashes && current.startsWith('-')) {
    const eq = current.indexOf('=');
    if (eq > 0) {
      const opt = findOption(chain, current.slice(0, eq));
      if (opt?.value === undefined) return { fixed: [], prefix: current, lead: '', given };
      return valueSlot(opt, current.slice(eq + 1), current.slice(0, eq + 1), given);
    }
    const names = optionsOf(chain).flatMap((o) => [o.long, o.short].filter((n): n is string => n !== undefined));
    return { fixed: [...new Set([...names, '--help'])].map((value) => ({ value })), prefix: current, lead: '', given };
  }
  if (chain.length === 1) {
    // Described when `root` holds the whole tree (zsh and fish show descriptions).
    const described = new Map(root.commands.map((c) => [c.name, c.description]));
    const fixed = commands.map((value) => {
      const description = described.get(value);
      return description === undefined ? { value } : { value, description };
    });
    return { fixed, prefix: current, lead: '', given };
  }
  const cmd = chain[chain.length - 1] as CommandSpec;
  const subs =
    positional === 0 && !afterDashes ? cmd.commands.map((c) => ({ value: c.name, description: c.description })) : [];
  const last = cmd.args[cmd.args.length - 1];
  const arg = cmd.args[positional] ?? (last?.variadic ? last : undefined);
  const kind = argumentKind(
    chain.slice(1).map((c) => c.name),
    positional,
  );
  return { fixed: [...subs, ...choices(arg)], ...(kind ? { kind } : {}), prefix: current, lead: '', given };
}

/** Open sessions by name (an unnamed one by id); ids too once something is typed (they are long). */
function sessionCandidates(sessions: SessionEntry[], includeClosed: boolean, prefix: string): Candidate[] {
  const out: Candidate[] = [];
  for (const s of sessions) {
    if (!includeClosed && s.state === 'closed') continue;
    const description = [s.state, s.project].filter(Boolean).join(' · ');
    if (s.name !== '') out.push({ value: s.name, description });
    if (s.name === '' || (prefix !== '' && s.id.startsWith(prefix))) out.push({ value: s.id, description });
  }
  return out;
}

async function daemonCandidates(slot: Slot, data: DaemonData): Promise<Candidate[]> {
  switch (slot.kind) {
    case 'session':
    case 'any-session':
      return sessionCandidates((await data.sessions()) ?? [], slot.kind === 'any-session', slot.prefix);
    case 'approval':
      return ((await data.approvals()) ?? []).map((a) => ({ value: a.id, description: a.summary }));
    case 'config-key':
      return ((await data.configKeys()) ?? []).map((value) => ({ value }));
    case 'provider':
      return ((await data.providers()) ?? []).map((p) => ({ value: p.name, description: p.state }));
    case 'model': {
      const provider = slot.given.get('--provider');
      return ((await data.providers()) ?? [])
        .filter((p) => provider === undefined || p.name === provider)
        .flatMap((p) => p.models.map((value) => ({ value, description: p.name })));
    }
    case 'process':
      return ((await data.processes()) ?? []).map((p) => ({ value: p.id, description: `${p.state}: ${p.command}` }));
    case undefined:
      return [];
  }
}

/** The candidates for the word under the cursor: fixed ones, then the daemon's, those that match what is typed. */
export async function completeSlot(slot: Slot, data: DaemonData): Promise<Candidate[]> {
  const all = [...slot.fixed, ...(await daemonCandidates(slot, data))];
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of all) {
    if (!c.value.startsWith(slot.prefix) || seen.has(c.value)) continue;
    seen.add(c.value);
    out.push({ ...c, value: slot.lead + c.value });
  }
  return out;
}
