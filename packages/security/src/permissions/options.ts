/**
 * Allow-lists of options for safe commands. A table is written as a short spec string:
 * `-a` a short flag, `-n=` a short option with a value (attached `-n5` or the next word),
 * `-M?` a short option with an optional attached value, `--all` a long flag, `--lines=` a long
 * option with a value (`--lines=5` or `--lines 5`), `--color?` a long option whose value may only
 * be attached. A value is text unless the spec names its kind: `--file=path`, `-X=path`, and
 * several values are joined with `+` (`--rawfile=text+path`). Anything not listed makes the
 * command unsafe, so an option a tool grows later asks until someone audits it.
 */

/** What an operand or option value is to the permission check. */
export type ValueKind = 'text' | 'path' | 'write';

interface OptionDef {
  /** Kinds of the values it takes (empty for a flag). */
  values: readonly ValueKind[];
  /** The value may only be attached (`-M50%`, `--color=always`), and may be absent. */
  optional: boolean;
}

export interface OptionTable {
  short: ReadonlyMap<string, OptionDef>;
  long: ReadonlyMap<string, OptionDef>;
  /** `-5` means a count (`head -5`, `git log -3`). */
  numeric: boolean;
  /** Options may follow operands (GNU getopt permutes); `--` always ends them. */
  permute: boolean;
}

const KINDS = new Set<ValueKind>(['text', 'path', 'write']);

export function options(spec: string, flags: { numeric?: boolean; permute?: boolean } = {}): OptionTable {
  const short = new Map<string, OptionDef>();
  const long = new Map<string, OptionDef>();
  for (const item of spec
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')) {
    const m = /^(--?)([^=?]+)(\?|=([a-z+]*))?$/.exec(item);
    if (m === null) throw new Error(`bad option spec "${item}"`);
    const [, dashes, name, suffix, kinds] = m as unknown as [
      string,
      string,
      string,
      string | undefined,
      string | undefined,
    ];
    const values =
      suffix === undefined
        ? []
        : suffix === '?'
          ? ['text' as const]
          : (kinds || 'text').split('+').map((k) => {
              if (!KINDS.has(k as ValueKind)) throw new Error(`bad value kind in "${item}"`);
              return k as ValueKind;
            });
    const def: OptionDef = { values, optional: suffix === '?' };
    if (dashes === '-' && name.length !== 1) throw new Error(`short option "${item}" must be one character`);
    (dashes === '-' ? short : long).set(name, def);
  }
  return { short, long, numeric: flags.numeric ?? false, permute: flags.permute ?? true };
}

export interface ParsedOption {
  /** `-n` or `--lines`, as written in the table. */
  name: string;
  values: string[];
  kinds: readonly ValueKind[];
}

export type ParsedArgs = { ok: true; options: ParsedOption[]; positionals: string[] } | { ok: false; reason: string };

/** Reads argv (after the command's tokens) against the table; an unlisted option refuses. */
export function parseArgs(args: readonly string[], table: OptionTable): ParsedArgs {
  const opts: ParsedOption[] = [];
  const positionals: string[] = [];
  let i = 0;
  const take = (name: string, def: OptionDef, attached: string | undefined): string | undefined => {
    const values: string[] = [];
    if (attached !== undefined) values.push(attached);
    while (values.length < def.values.length) {
      const next = args[++i];
      if (next === undefined) return `"${name}" needs a value`;
      values.push(next);
    }
    opts.push({ name, values, kinds: def.values });
    return undefined;
  };
  let optionsEnded = false;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      if (!table.permute) optionsEnded = true;
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const def = table.long.get(name);
      if (def === undefined)
        return { ok: false, reason: `option "--${name}" is not in the safe list for this command` };
      if (eq !== -1 && def.values.length === 0) return { ok: false, reason: `"--${name}" takes no value` };
      if (def.optional) {
        opts.push({ name: `--${name}`, values: eq === -1 ? [] : [arg.slice(eq + 1)], kinds: def.values });
        continue;
      }
      const problem = take(`--${name}`, def, eq === -1 ? undefined : arg.slice(eq + 1));
      if (problem !== undefined) return { ok: false, reason: problem };
      continue;
    }
    if (table.numeric && /^-\d+$/.test(arg)) {
      opts.push({ name: '-#', values: [arg.slice(1)], kinds: ['text'] });
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      const def = table.short.get(letter);
      if (def === undefined)
        return { ok: false, reason: `option "-${letter}" is not in the safe list for this command` };
      if (def.values.length === 0) {
        opts.push({ name: `-${letter}`, values: [], kinds: [] });
        continue;
      }
      const rest = arg.slice(j + 1);
      if (def.optional) {
        opts.push({ name: `-${letter}`, values: rest === '' ? [] : [rest], kinds: def.values });
        break;
      }
      const problem = take(`-${letter}`, def, rest === '' ? undefined : rest);
      if (problem !== undefined) return { ok: false, reason: problem };
      break;
    }
  }
  return { ok: true, options: opts, positionals };
}

export const has = (parsed: { options: readonly ParsedOption[] }, ...names: string[]): boolean =>
  parsed.options.some((o) => names.includes(o.name));
