/** The rule an "allow always" answer would persist for an action. */
import { commandPrefix, indirectReason, isKnownExecutable, normalizeArgv } from './commands.js';
import { pathPattern, resolvePath, type PathContext } from './paths.js';
import { matchSafeCommand } from './safe-list.js';
import { parseShellLine } from './shell.js';
import type { PermissionAction, RuleProposal } from './types.js';

/** `https://Example.COM:443/x` → `example.com`; domains otherwise match exactly. */
export function normalizeDomain(domain: string): string {
  let host = domain.trim().toLowerCase();
  if (host.includes('://')) {
    try {
      host = new URL(host).hostname;
    } catch {
      return host;
    }
  }
  return host.replace(/:\d+$/, '').replace(/\.$/, '');
}

/**
 * One proposal per command of a shell line that is neither safe nor indirect (`sh -c`, `sudo`:
 * those are approved each time), with the arity-correct prefix as pattern; none for an
 * unparseable line, config or credential use.
 */
export function ruleForAction(action: PermissionAction, ctx: PathContext): RuleProposal[] {
  switch (action.kind) {
    case 'path':
      return [
        {
          kind: 'path',
          op: action.op,
          pattern: pathPattern(resolvePath(action.path, ctx.projectRoot, ctx.homeDir), ctx),
        },
      ];
    case 'network':
      return [{ kind: 'domain', pattern: normalizeDomain(action.domain) }];
    case 'mcp':
      return [{ kind: 'mcp', pattern: `${action.server}/${action.tool}` }];
    case 'mcp_server':
      return [{ kind: 'mcp_server', pattern: `${action.server} ${action.launch}` }];
    case 'command':
      return commandProposals(action.command);
  }
}

function commandProposals(line: string): RuleProposal[] {
  const parsed = parseShellLine(line);
  if (!parsed.ok) return [];
  const proposals = new Map<string, RuleProposal>();
  for (const command of parsed.commands) {
    const argv = normalizeArgv(command.words.map((w) => w.value));
    const exe = argv[0];
    if (exe === undefined || command.words[0]?.dynamic || indirectReason(argv) !== undefined) continue;
    const safe = matchSafeCommand(argv);
    if (safe !== undefined && 'safe' in safe) continue;
    const pattern = commandPrefix(argv).join(' ');
    const note = isKnownExecutable(exe)
      ? undefined
      : `"${exe}" is not in the arity table, so the rule allows every "${exe}" command`;
    proposals.set(pattern, note === undefined ? { kind: 'command', pattern } : { kind: 'command', pattern, note });
  }
  return [...proposals.values()];
}
