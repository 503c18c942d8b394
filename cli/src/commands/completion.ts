import type { Command, Option } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

/** Walk the command tree once; every shell script is generated from the same data. */
export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const visit = (cmd: Command, path: string[]) => {
    const subs = cmd.commands.filter((c) => c.name() !== 'help');
    nodes.push({
      path,
      subcommands: subs.map((c) => c.name()),
      options: (cmd.options as Option[])
        .flatMap((o) => [o.long, o.short].filter((x): x is string => typeof x === 'string'))
        .concat(['--help']),
    });
    for (const sub of subs) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return nodes;
}

function bash(nodes: Node[], globals: string[]): string {
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options, ...globals].join(' ')}" ;;`)
    .join('\n');
  return `# sylk bash completion — add to ~/.bashrc:  source <(sylk completion bash)
_sylk_complete() {
  local cur path="" w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) path="\${path:+$path }$w" ;; esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _sylk_complete sylk
`;
}

function zsh(nodes: Node[], globals: string[]): string {
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") candidates=(${[...n.subcommands, ...n.options, ...globals].join(' ')}) ;;`)
    .join('\n');
  return `#compdef sylk
# sylk zsh completion — add to ~/.zshrc:  source <(sylk completion zsh)
_sylk() {
  local -a candidates
  local cmdpath="" w
  for w in \${words[2,CURRENT-1]}; do
    [[ $w == -* ]] || cmdpath="\${cmdpath:+$cmdpath }$w"
  done
  case "$cmdpath" in
${cases}
  esac
  compadd -- $candidates
}
compdef _sylk sylk
`;
}

function fish(nodes: Node[], globals: string[]): string {
  const lines = [
    '# sylk fish completion — save as ~/.config/fish/completions/sylk.fish  (sylk completion fish > …)',
    'complete -c sylk -f',
  ];
  for (const g of globals) if (g.startsWith('--')) lines.push(`complete -c sylk -l ${g.slice(2)}`);
  for (const n of nodes) {
    const cond =
      n.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const sub of n.subcommands) lines.push(`complete -c sylk -n '${cond}' -a ${sub}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash | zsh | fish')
    .action((shell: string) => {
      const nodes = commandTree(program);
      const globals = nodes[0]?.options ?? [];
      const scripts: Record<string, () => string> = {
        bash: () => bash(nodes, globals),
        zsh: () => zsh(nodes, globals),
        fish: () => fish(nodes, globals),
      };
      const make = scripts[shell];
      if (!make) throw new CliError(`unsupported shell '${shell}'; choose bash, zsh or fish`, EXIT.usage);
      process.stdout.write(make());
    });
}
