import { runFileHere, type RunFile } from '@sylk/tools';

/**
 * Commits an agent made in the project's own repository during the turns being rewound. The
 * snapshot store covers files; this covers history: local commits are undone with
 * `git reset --soft` (their changes stay staged), pushed ones never automatically, and nothing
 * is touched when HEAD moved since the turns (the user's own commits).
 */
export type RunGit = (args: readonly string[]) => Promise<string | undefined>;

/** git in the project, with no hooks or fsmonitor from config; undefined when git fails. */
export function projectGit(
  projectRoot: string,
  env: Readonly<Record<string, string | undefined>>,
  runFile: RunFile = runFileHere,
): RunGit {
  return async (args) => {
    const r = await runFile('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args], {
      cwd: projectRoot,
      env: {
        PATH: env.PATH ?? '/usr/bin:/bin',
        HOME: env.HOME ?? '/',
        LANG: 'C',
        GIT_TERMINAL_PROMPT: '0',
        GIT_OPTIONAL_LOCKS: '0',
      },
      timeoutMs: 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return r.error === undefined ? r.stdout.toString('utf8').trim() : undefined;
  };
}

/** The project's HEAD commit, or undefined (no repository, no commit yet). */
export async function headOf(git: RunGit): Promise<string | undefined> {
  const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD']);
  return head !== undefined && /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
}

/**
 * `before`: HEAD when the first rewound turn began; `after`: HEAD when the last one ended
 * (undefined: it did not end). Returns the receipt line, or '' when the turns made no commit.
 */
export async function undoTurnCommits(
  git: RunGit,
  before: string | undefined,
  after: string | undefined,
): Promise<string> {
  if (before === undefined) return '';
  const now = await headOf(git);
  if (now === undefined || now === before) return '';
  const short = (c: string) => c.slice(0, 12);
  if (after !== undefined && now !== after) {
    return `HEAD moved since the turn (${short(after)} → ${short(now)}): commits not touched; undo them yourself if you want`;
  }
  if ((await git(['merge-base', '--is-ancestor', before, now])) === undefined) {
    return `HEAD is no longer a descendant of ${short(before)} (history rewritten): commits not touched`;
  }
  const made = (await git(['rev-list', `${before}..${now}`]))?.split('\n').filter(Boolean) ?? [];
  const unpushed =
    (await git(['rev-list', `${before}..${now}`, '--not', '--remotes']))?.split('\n').filter(Boolean) ?? [];
  if (unpushed.length < made.length) {
    return (
      `${made.length - unpushed.length} of the ${made.length} commit(s) the turns made were pushed: ` +
      `not undone (a pushed commit is never undone automatically)`
    );
  }
  if ((await git(['reset', '--soft', before])) === undefined)
    return `git reset --soft ${short(before)} failed: commits not undone`;
  return `undid ${made.length} local commit(s) with git reset --soft ${short(before)}; their changes stay staged`;
}
