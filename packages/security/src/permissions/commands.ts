/**
 * How a command is named for permission rules: a token prefix of the right arity. `git status`
 * and `npm run test` name a command; bare `npm` or `git` would also cover `npm publish` and
 * `git push`, so a pattern shorter than the command's arity never matches it.
 */

interface Arity {
  /** Words (executable included) that name the command. */
  words: number;
  /** Second word → total words, for tools with sub-subcommands (`npm run <script>`). */
  deeper?: Readonly<Record<string, number>>;
  /** Option tokens that count as words (`python -m pytest`). */
  optionWords?: readonly string[];
}

const TWO: Arity = { words: 2 };
const CONTAINERS: Arity = {
  words: 2,
  deeper: { compose: 3, container: 3, image: 3, volume: 3, network: 3, buildx: 3, system: 3, context: 3 },
};
const PYTHON: Arity = { words: 2, optionWords: ['-m'], deeper: { '-m': 3 } };
/** `node --test` and `node --run <script>` name what runs; a bare `node` rule would allow any script. */
const NODE: Arity = { words: 2, optionWords: ['--test', '--run'], deeper: { '--run': 3 } };

const ARITY: Readonly<Record<string, Arity>> = {
  git: {
    words: 2,
    deeper: {
      remote: 3,
      stash: 3,
      submodule: 3,
      worktree: 3,
      notes: 3,
      bisect: 3,
      lfs: 3,
      'sparse-checkout': 3,
      reflog: 3,
      config: 3,
    },
  },
  npm: { words: 2, deeper: { run: 3, 'run-script': 3, exec: 3, config: 3, cache: 3 } },
  pnpm: { words: 2, deeper: { run: 3, exec: 3, dlx: 3 } },
  yarn: { words: 2, deeper: { run: 3, dlx: 3, workspace: 4 } },
  bun: { words: 2, deeper: { run: 3, x: 3 } },
  deno: { words: 2, deeper: { run: 3, task: 3 } },
  npx: TWO,
  pnpx: TWO,
  bunx: TWO,
  node: NODE,
  cargo: TWO,
  rustup: TWO,
  go: { words: 2, deeper: { mod: 3, work: 3, tool: 3 } },
  docker: CONTAINERS,
  podman: CONTAINERS,
  kubectl: { words: 2, deeper: { config: 3, rollout: 3, auth: 3 } },
  helm: TWO,
  terraform: TWO,
  gh: { words: 3 },
  glab: { words: 3 },
  pip: TWO,
  pip3: TWO,
  python: PYTHON,
  python3: PYTHON,
  uv: { words: 2, deeper: { pip: 3, run: 3, tool: 3 } },
  poetry: { words: 2, deeper: { run: 3 } },
  pipenv: { words: 2, deeper: { run: 3 } },
  ruff: TWO,
  make: TWO,
  just: TWO,
  gradle: TWO,
  gradlew: TWO,
  mvn: TWO,
  dotnet: TWO,
  swift: TWO,
  bundle: { words: 2, deeper: { exec: 3 } },
  rake: TWO,
  mix: TWO,
  composer: TWO,
  brew: TWO,
  apt: TWO,
  'apt-get': TWO,
  systemctl: TWO,
};

/** Executables whose every invocation is one command, so a one-word rule is not a surprise. */
const SINGLE = new Set([
  'ls',
  'cat',
  'head',
  'tail',
  'wc',
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'find',
  'pwd',
  'echo',
  'printf',
  'cd',
  'true',
  'false',
  'which',
  'whoami',
  'id',
  'date',
  'stat',
  'file',
  'du',
  'df',
  'tree',
  'basename',
  'dirname',
  'realpath',
  'readlink',
  'diff',
  'cmp',
  'uname',
  'sort',
  'cut',
  'tr',
  'jq',
  'nl',
  'tac',
  'sha256sum',
  'md5sum',
  'tee',
  'tsc',
  'vitest',
  'eslint',
  'prettier',
  'jest',
  'pytest',
  'mypy',
  'black',
]);

/** Prefixes that only change how the next word runs, not what it is. */
const TRANSPARENT = new Set(['time', 'nohup']);

/** `./node_modules/.bin/tsc` and `node_modules/.bin/tsc` are `tsc`; any other path stays as written. */
function normalizeExecutable(word: string): string {
  const m = /^(?:\.\/)?node_modules\/\.bin\/([^/]+)$/.exec(word);
  return m?.[1] ?? word;
}

/** The argv that rules see: executable normalized, `time`/`nohup` removed. */
export function normalizeArgv(words: readonly string[]): string[] {
  let start = 0;
  while (start < words.length - 1 && TRANSPARENT.has(words[start] as string)) start++;
  const argv = words.slice(start);
  if (argv.length > 0) argv[0] = normalizeExecutable(argv[0] as string);
  return argv;
}

function arityOf(argv: readonly string[]): Arity | undefined {
  const exe = argv[0];
  if (exe === undefined) return undefined;
  return ARITY[exe] ?? ARITY[exe.replace(/^\.\//, '')];
}

/** Whether `ruleForAction` can give this executable an arity-correct rule. */
export function isKnownExecutable(exe: string): boolean {
  const name = normalizeExecutable(exe);
  return SINGLE.has(name) || arityOf([name]) !== undefined;
}

/**
 * The tokens that name this command: the executable plus its subcommand words, up to the
 * executable's arity and stopping at the first option (`npm -s run test` → `npm`).
 */
export function commandPrefix(argv: readonly string[]): string[] {
  const arity = arityOf(argv);
  let words = arity?.words ?? 1;
  const second = argv[1];
  if (arity?.deeper !== undefined && second !== undefined && Object.hasOwn(arity.deeper, second)) {
    words = arity.deeper[second] as number;
  }
  const prefix: string[] = [];
  for (const token of argv.slice(0, words)) {
    if (prefix.length > 0 && token.startsWith('-') && !(arity?.optionWords ?? []).includes(token)) break;
    prefix.push(token);
  }
  return prefix;
}

export function patternTokens(pattern: string): string[] {
  return pattern
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t, i) => (i === 0 ? normalizeExecutable(t) : t));
}

/** The command's leading tokens equal the pattern's (arguments after it are ignored). */
export function startsWithTokens(argv: readonly string[], tokens: readonly string[]): boolean {
  return tokens.length > 0 && tokens.length <= argv.length && tokens.every((t, i) => argv[i] === t);
}

/** A rule pattern matches when it is a leading-token match at least as long as the command's prefix. */
export function matchesCommandPattern(argv: readonly string[], pattern: string): boolean {
  const tokens = patternTokens(pattern);
  return startsWithTokens(argv, tokens) && tokens.length >= commandPrefix(argv).length;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'csh', 'tcsh']);
const RUNS_ANOTHER = new Set([
  'sudo',
  'doas',
  'su',
  'env',
  'xargs',
  'eval',
  'exec',
  'source',
  '.',
  'watch',
  'nice',
  'timeout',
  'parallel',
  'command',
  'builtin',
  'trap',
  'alias',
  'stdbuf',
  'chroot',
  'setsid',
  'flock',
]);
const INLINE_CODE: Readonly<Record<string, readonly string[]>> = {
  node: ['-e', '--eval', '-p', '--print'],
  deno: ['eval'],
  bun: ['-e', '--eval', '-p', '--print'],
  python: ['-c'],
  python3: ['-c'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
};

/**
 * Why this command's real effect is another command or inline code that a prefix rule cannot
 * see (`sh -c`, `eval`, `sudo`, `find -exec`, `git -c`); undefined when it has none.
 */
export function indirectReason(argv: readonly string[]): string | undefined {
  const [exe, ...args] = argv;
  if (exe === undefined) return undefined;
  const name = exe.split('/').pop() ?? exe;
  if (RUNS_ANOTHER.has(name)) return `"${name}" runs another command`;
  if (SHELLS.has(name) && args.some((a) => /^-[a-z]*c[a-z]*$/.test(a))) return `"${name} -c" runs an inline script`;
  const inline = INLINE_CODE[name];
  if (
    inline !== undefined &&
    args.some((a) => inline.includes(a) || inline.some((o) => o.startsWith('--') && a.startsWith(`${o}=`)))
  ) {
    return `"${name}" runs inline code`;
  }
  if (name === 'find' && args.some((a) => ['-exec', '-execdir', '-ok', '-okdir'].includes(a)))
    return '"find -exec" runs another command';
  if (name === 'git') {
    const globalOptions = args.slice(
      0,
      Math.max(
        0,
        args.findIndex((a) => !a.startsWith('-')),
      ),
    );
    if (globalOptions.some((a) => /^(-c|--config-env|--exec-path)/.test(a)))
      return '"git -c" can configure commands to run';
  }
  if (name === 'rg' && args.some((a) => a === '--pre' || a.startsWith('--pre=')))
    return '"rg --pre" runs another command';
  return undefined;
}
