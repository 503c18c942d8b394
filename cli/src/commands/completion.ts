import type { Command } from 'commander';
import { COMPLETE_COMMAND } from '../completion/run.js';
import { CliError, EXIT } from '../exit-codes.js';

// Each script hands the words to `sylk __complete`, which knows the command tree and asks the
// running daemon for sessions, approvals, config keys, providers, models and processes. Its
// errors go to /dev/null: a Tab press never prints into the command line.

/**
 * bash splits words at `=` and `:` (COMP_WORDBREAKS), so the words are taken from the line itself
 * and each candidate loses what precedes the part bash replaces (`--model=gpt` → `gpt…`).
 */
const BASH = `# sylk bash completion — add to ~/.bashrc:  source <(sylk completion bash)
_sylk_complete() {
  local line="\${COMP_LINE:0:COMP_POINT}" cur="\${COMP_WORDS[COMP_CWORD]}" c
  local -a words
  read -ra words <<< "$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  local full="\${words[\${#words[@]}-1]}"
  local cut=0
  [[ "$full" == *"$cur" ]] && cut=$(( \${#full} - \${#cur} ))
  COMPREPLY=()
  while IFS= read -r c; do
    COMPREPLY+=("\${c:cut}")
  done < <(command sylk ${COMPLETE_COMMAND} bash -- "\${words[@]:1}" 2>/dev/null)
}
complete -F _sylk_complete sylk
`;

const ZSH = `#compdef sylk
# sylk zsh completion — add to ~/.zshrc:  source <(sylk completion zsh)
_sylk() {
  local -a lines values shown
  local l
  lines=("\${(@f)$(command sylk ${COMPLETE_COMMAND} zsh -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for l in "\${lines[@]}"; do
    [[ -z "$l" ]] && continue
    values+=("\${l%%$'\\t'*}")
    if [[ "$l" == *$'\\t'* ]]; then shown+=("\${l%%$'\\t'*}  -- \${l#*$'\\t'}"); else shown+=("$l"); fi
  done
  (( \${#values} )) && compadd -l -d shown -a values
}
compdef _sylk sylk
`;

const FISH = `# sylk fish completion — save as ~/.config/fish/completions/sylk.fish  (sylk completion fish > …)
function __sylk_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -e words[1]
    command sylk ${COMPLETE_COMMAND} fish -- $words "$current" 2>/dev/null
end
complete -c sylk -f -a '(__sylk_complete)'
`;

/** The completion script of each shell. */
export const COMPLETION_SCRIPTS: Readonly<Record<string, string>> = { bash: BASH, zsh: ZSH, fish: FISH };

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash | zsh | fish')
    .action((shell: string) => {
      const script = COMPLETION_SCRIPTS[shell];
      if (script === undefined)
        throw new CliError(`unsupported shell '${shell}'; choose bash, zsh or fish`, EXIT.usage);
      process.stdout.write(script);
    });
}
