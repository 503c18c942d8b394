/**
 * Built-in safe defaults (SPEC 4.1): commands that run without asking and domains that may be
 * reached. Read-only commands are open to every role; build and test commands need a role that
 * may run commands (they write build output and run project-defined scripts).
 */
import { startsWithTokens, commandPrefix } from './commands.js';

export interface SafeCommand {
  tokens: readonly string[];
  readOnly: boolean;
  /** Why these arguments make it unsafe, or undefined. */
  refuse?: (args: readonly string[]) => string | undefined;
}

function matchesFlag(arg: string, flag: string): boolean {
  if (arg === flag) return true;
  if (flag.startsWith('--')) return arg.startsWith(`${flag}=`);
  // A short option may be bundled (`-uo out`) or carry its value (`-oout`).
  return /^-[A-Za-z]$/.test(flag) && /^-[A-Za-z]/.test(arg) && arg.slice(1).includes(flag.slice(1));
}
const refuseFlags =
  (...flags: string[]) =>
  (args: readonly string[]): string | undefined => {
    const flag = args.find((a) => flags.some((f) => matchesFlag(a, f)));
    return flag === undefined ? undefined : `"${flag}" can change files`;
  };
const noArgs = (args: readonly string[]): string | undefined => (args.length > 0 ? 'only safe without arguments' : undefined);

/** `git branch` only lists: no positional name (that creates one) and no mutating flags. */
function gitBranchRefusal(args: readonly string[]): string | undefined {
  const listing = new Set([
    '-a', '--all', '-r', '--remotes', '-l', '--list', '-v', '-vv', '--verbose', '--show-current', '--no-color', '--color',
  ]);
  const bad = args.find((a) => !listing.has(a) && !/^--(contains|no-contains|merged|no-merged|sort|format|points-at)(=|$)/.test(a));
  return bad === undefined ? undefined : `"git branch ${bad}" may change branches`;
}

const READ_ONLY: SafeCommand[] = [
  ...['ls', 'cat', 'head', 'tail', 'wc', 'grep', 'egrep', 'fgrep', 'pwd', 'echo', 'printf', 'cd', 'true', 'false', 'which',
    'whoami', 'id', 'stat', 'file', 'du', 'df', 'tree', 'basename', 'dirname', 'realpath', 'readlink', 'diff', 'cmp', 'uname',
    'cut', 'tr', 'jq', 'nl', 'tac', 'sha256sum', 'md5sum', 'tee'].map((exe) => ({ tokens: [exe], readOnly: true })),
  { tokens: ['rg'], readOnly: true, refuse: refuseFlags('--pre') },
  { tokens: ['find'], readOnly: true, refuse: refuseFlags('-delete', '-fprint', '-fprint0', '-fprintf', '-fls') },
  { tokens: ['sort'], readOnly: true, refuse: refuseFlags('-o', '--output') },
  { tokens: ['date'], readOnly: true, refuse: refuseFlags('-s', '--set') },
  { tokens: ['git', 'status'], readOnly: true },
  ...['diff', 'log', 'show'].map((sub) => ({ tokens: ['git', sub], readOnly: true, refuse: refuseFlags('--output') })),
  { tokens: ['git', 'branch'], readOnly: true, refuse: gitBranchRefusal },
  ...['rev-parse', 'ls-files', 'blame'].map((sub) => ({ tokens: ['git', sub], readOnly: true })),
  ...[['node', '--version'], ['node', '-v'], ['npm', '--version'], ['npm', '-v'], ['go', 'version'], ['cargo', '--version'],
    ['python', '--version'], ['python3', '--version'], ['tsc', '--version']].map((tokens) => ({ tokens, readOnly: true, refuse: noArgs })),
];

// prettier is not listed: it rewrites files by default. `eslint --fix` stays silent: it only
// rewrites project sources, which a Worker may write anyway.
const BUILD_AND_TEST: SafeCommand[] = [
  ['npm', 'test'], ['npm', 't'], ['npm', 'run', 'test'], ['npm', 'run', 'build'], ['npm', 'run', 'lint'], ['npm', 'run', 'typecheck'],
  ['pnpm', 'test'], ['pnpm', 'run', 'test'], ['pnpm', 'run', 'build'], ['pnpm', 'run', 'lint'], ['pnpm', 'run', 'typecheck'],
  ['yarn', 'test'], ['yarn', 'run', 'test'], ['yarn', 'run', 'build'], ['yarn', 'run', 'lint'], ['yarn', 'run', 'typecheck'],
  ['npx', 'tsc'], ['npx', 'vitest'], ['npx', 'eslint'], ['tsc'], ['vitest'], ['eslint'],
  ['go', 'build'], ['go', 'test'], ['go', 'vet'],
  ['cargo', 'build'], ['cargo', 'test'], ['cargo', 'check'], ['cargo', 'clippy'],
  ['pytest'], ['python', '-m', 'pytest'], ['python3', '-m', 'pytest'], ['make', 'test'],
].map((tokens) => ({ tokens, readOnly: false }));

export const SAFE_COMMANDS: readonly SafeCommand[] = [...READ_ONLY, ...BUILD_AND_TEST];

export type SafeMatch = { safe: SafeCommand } | { refused: string } | undefined;

/**
 * The safe entry this command is: its leading tokens equal the entry's and the entry is at least
 * as long as the command's prefix, so `npm run test` is safe but `npm run deploy` is not.
 */
export function matchSafeCommand(argv: readonly string[], custom: readonly string[][] = []): SafeMatch {
  const prefixLength = commandPrefix(argv).length;
  for (const entry of SAFE_COMMANDS) {
    if (!startsWithTokens(argv, entry.tokens) || entry.tokens.length < prefixLength) continue;
    const refused = entry.refuse?.(argv.slice(entry.tokens.length));
    return refused === undefined ? { safe: entry } : { refused };
  }
  // The user's own list is taken at their word: `make` there covers every `make …`.
  const own = custom.find((tokens) => startsWithTokens(argv, tokens));
  return own === undefined ? undefined : { safe: { tokens: own, readOnly: false } };
}

/** Package registries and documentation sites (exact host names). */
export const SAFE_DOMAINS: ReadonlySet<string> = new Set([
  'registry.npmjs.org', 'registry.yarnpkg.com', 'npm.pkg.github.com', 'nodejs.org',
  'pypi.org', 'files.pythonhosted.org', 'docs.python.org',
  'crates.io', 'index.crates.io', 'static.crates.io', 'static.rust-lang.org', 'docs.rs', 'doc.rust-lang.org',
  'proxy.golang.org', 'sum.golang.org', 'pkg.go.dev', 'go.dev',
  'rubygems.org', 'repo.maven.apache.org', 'repo1.maven.org', 'api.nuget.org',
  'developer.mozilla.org', 'www.typescriptlang.org', 'vitest.dev', 'eslint.org',
]);
