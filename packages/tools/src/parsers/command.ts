/**
 * Command-line normalization and glob matching for parser selection. `*` matches anything
 * (including spaces), `?` one character; patterns are anchored and whitespace-collapsed.
 */
export function normalizeCommand(command: string): string {
  let tokens = command
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  // Leading env assignments (FOO=1 tsc) and a path to the binary (./node_modules/.bin/tsc).
  while (tokens.length > 1 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tokens[0] ?? '')) tokens = tokens.slice(1);
  if (tokens[0]?.includes('/') === true) tokens[0] = tokens[0].slice(tokens[0].lastIndexOf('/') + 1);
  let line = tokens.join(' ');
  // git's global options before the subcommand.
  line = line.replace(/^git((?:\s+(?:-C|-c)\s+\S+|\s+--no-pager|\s+--git-dir=\S+|\s+--work-tree=\S+)+)\s+/, 'git ');
  return line;
}

export function globToRegExp(pattern: string): RegExp {
  const collapsed = pattern.trim().replace(/\s+/g, ' ');
  const body = collapsed
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Patterns for a JS CLI: bare, with args, through npx. */
export function jsCli(name: string): string[] {
  return [
    name,
    `${name} *`,
    `npx ${name}`,
    `npx ${name} *`,
    `npm exec ${name} *`,
    `pnpm exec ${name} *`,
    `yarn ${name} *`,
  ];
}
