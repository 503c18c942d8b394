import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorTier, SylkError } from './errors.js';

/**
 * Node flags every sylkd started in the background runs with (by `sylk`, the `sylkd` launcher and
 * the service unit). V8 grows the young generation to 16 MB semi-spaces under load and only a
 * command-line flag caps it; at 4 MB a busy daemon stays tens of MB smaller (and so cheaper to
 * fork for each command) for the same CPU. Idle, the daemon's memory trim gives back what is left.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** What `sylkd --foreground` reports to a parent that started it with an IPC channel. */
export interface DaemonStartReport {
  type: 'ready' | 'failed';
  pid?: number;
  socket?: string;
  message?: string;
  hint?: string;
  /** The exit code it is about to end with (3: another sylkd already runs). */
  code?: number;
}

export interface DetachedDaemonOptions {
  /** sylkd's entry script (run by this process's Node). */
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Its logs directory (created if missing): stdout and stderr are appended to `sylkd.out` there. */
  logsDir: string;
  timeoutMs?: number;
}

/**
 * Starts `sylkd --foreground` in its own session (setsid), stdio appended to `{logsDir}/sylkd.out`, and
 * waits for it to report that it serves, or why it cannot. The report travels over an IPC
 * channel that the daemon closes once it is up, so the caller can exit and leave it running.
 * Rejects with a SylkError: `daemon.already_running`, `daemon.start_failed` (with the daemon's
 * own message and hint) or `daemon.start_timeout`.
 */
export function startDetachedDaemon(opts: DetachedDaemonOptions): Promise<{ pid: number; socket: string }> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  mkdirSync(opts.logsDir, { recursive: true, mode: 0o700 });
  const outFile = join(opts.logsDir, 'sylkd.out');
  const out = openSync(outFile, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, opts.entry, '--foreground'], {
      detached: true,
      stdio: ['ignore', out, out, 'ipc'],
      env: opts.env,
      cwd: '/',
    });
  } finally {
    closeSync(out);
  }
  return new Promise((resolve, reject) => {
    const fail = (message: string, code: string, tier: ErrorTier, hint?: string) =>
      reject(new SylkError(message, { code, tier, ...(hint ? { hint } : {}) }));
    const timer = setTimeout(() => {
      fail(
        `sylkd did not report ready within ${timeoutMs / 1000}s; see ${outFile}`,
        'daemon.start_timeout',
        ErrorTier.Transient,
      );
    }, timeoutMs);
    child.on('message', (raw) => {
      const msg = raw as DaemonStartReport;
      clearTimeout(timer);
      if (msg.type === 'ready') {
        child.unref();
        child.channel?.unref();
        resolve({ pid: msg.pid ?? child.pid ?? 0, socket: msg.socket ?? '' });
      } else {
        fail(
          msg.message ?? 'sylkd failed to start',
          msg.code === 3 ? 'daemon.already_running' : 'daemon.start_failed',
          ErrorTier.UserFixable,
          msg.hint,
        );
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(`cannot run sylkd: ${err.message}`, 'daemon.start_failed', ErrorTier.UserFixable);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fail(
        `sylkd exited during start-up (${signal ?? `exit ${code}`}); see ${outFile}`,
        'daemon.start_failed',
        ErrorTier.UserFixable,
      );
    });
  });
}
