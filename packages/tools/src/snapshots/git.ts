import { ErrorTier, SylkError } from '@sylk/core';
import { runFileHere, type RunFile } from '../exec/run-file.js';

/** Git's environment for the snapshot store: no user or system config, no hooks, literal paths. */
export function gitEnv(base: Readonly<Record<string, string | undefined>>, home: string): Record<string, string> {
  return {
    PATH: base.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
  };
}

export interface GitRun {
  (args: readonly string[], opts?: { input?: string | Buffer; env?: Record<string, string> }): Promise<Buffer>;
}

/** A git runner bound to one store (`--git-dir`) and project (`--work-tree`). */
export function gitRunner(
  gitDir: string,
  workTree: string,
  env: Record<string, string>,
  runFile: RunFile = runFileHere,
): GitRun {
  return async (args, opts = {}) => {
    const r = await runFile(
      'git',
      ['-c', 'safe.directory=*', `--git-dir=${gitDir}`, `--work-tree=${workTree}`, ...args],
      {
        cwd: workTree,
        env: { ...env, ...opts.env },
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        maxBuffer: 256 * 1024 * 1024,
        timeoutMs: 120_000,
      },
    );
    if (r.error === undefined) return r.stdout;
    const detail = r.stderr.toString('utf8').trim().split('\n').slice(-3).join('; ');
    throw new SylkError(`snapshot store: git ${args[0] ?? ''} failed: ${detail || r.error.message}`, {
      code: 'snapshot.git_failed',
      tier: ErrorTier.Transient,
      hint: 'check that git is installed and the Sylk data directory is writable; the project files were not changed',
      cause: r.error,
    });
  };
}

/** NUL-separated git output as strings (the trailing empty one dropped). */
export function nulList(out: Buffer): string[] {
  const items = out.toString('utf8').split('\0');
  if (items[items.length - 1] === '') items.pop();
  return items;
}
