import { execFile } from 'node:child_process';

/** One short command run to completion with its output buffered (git plumbing, not agent commands). */
export interface RunFileOptions {
  cwd: string;
  /** The command's whole environment: nothing else of the caller's reaches it. */
  env: Record<string, string>;
  input?: string | Buffer;
  timeoutMs: number;
  maxBuffer: number;
}

/** Why a run did not succeed, as `execFile` reports it. */
interface RunFileError {
  message: string;
  /** The exit code, or a spawn error's code (`ENOENT`, …). */
  code?: number | string;
  signal?: string | null;
  /** Killed by the timeout. */
  killed?: boolean;
}

export interface RunFileResult {
  stdout: Buffer;
  stderr: Buffer;
  /** Absent when the command exited 0. */
  error?: RunFileError;
}

/** Runs a file; never rejects (a failure is the result's `error`). */
export type RunFile = (file: string, args: readonly string[], options: RunFileOptions) => Promise<RunFileResult>;

/** {@link RunFile} in this process: the spawn forks it, on the calling thread. */
export const runFileHere: RunFile = (file, args, o) =>
  new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { cwd: o.cwd, env: o.env, encoding: 'buffer', maxBuffer: o.maxBuffer, timeout: o.timeoutMs },
      (err, stdout, stderr) => resolve(runFileResult(err, stdout, stderr)),
    );
    child.stdin?.on('error', () => undefined); // a command that exits without reading its input
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });

/** What an `execFile` callback got, as a {@link RunFileResult} (here, and from the spawn broker's process). */
export function runFileResult(err: unknown, stdout: Buffer, stderr: Buffer): RunFileResult {
  if (err === null || err === undefined) return { stdout, stderr };
  const e = err as { message?: unknown; code?: unknown; signal?: unknown; killed?: unknown };
  return {
    stdout,
    stderr,
    error: {
      message: typeof e.message === 'string' ? e.message : 'the command failed',
      ...(typeof e.code === 'number' || typeof e.code === 'string' ? { code: e.code } : {}),
      signal: typeof e.signal === 'string' ? e.signal : null,
      ...(e.killed === true ? { killed: true } : {}),
    },
  };
}
