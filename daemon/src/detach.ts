import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorTier, SylkError } from '@sylk/core';
import { resolveDirs } from '@sylk/config/paths';
import { DAEMON_NODE_FLAGS } from './v8-flags.js';

interface ChildMessage {
  type: 'ready' | 'failed';
  pid?: number;
  socket?: string;
  message?: string;
  hint?: string;
  code?: number;
}

/**
 * Start `sylkd --foreground` in its own session (setsid), stdio appended to
 * `{state}/logs/sylkd.out`, and wait for it to report that it is serving (or why
 * it could not). The readiness report travels over an IPC channel that the child
 * closes once it is up, so this parent can exit and leave it running.
 */
export function startDetached(env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<{ pid: number; socket: string }> {
  const dirs = resolveDirs(env);
  mkdirSync(dirs.logs, { recursive: true, mode: 0o700 });
  const out = openSync(join(dirs.logs, 'sylkd.out'), 'a', 0o600);
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, main, '--foreground'], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env,
    cwd: '/',
  });
  closeSync(out);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new SylkError(`sylkd did not report ready within ${timeoutMs / 1000}s; see ${join(dirs.logs, 'sylkd.out')}`, {
          code: 'daemon.start_timeout',
          tier: ErrorTier.Transient,
        }),
      );
    }, timeoutMs);
    child.on('message', (raw) => {
      const msg = raw as ChildMessage;
      clearTimeout(timer);
      if (msg.type === 'ready') {
        child.unref();
        child.channel?.unref();
        resolve({ pid: msg.pid ?? child.pid ?? 0, socket: msg.socket ?? '' });
      } else {
        reject(
          new SylkError(msg.message ?? 'sylkd failed to start', {
            code: msg.code === 3 ? 'daemon.already_running' : 'daemon.start_failed',
            tier: ErrorTier.UserFixable,
            ...(msg.hint ? { hint: msg.hint } : {}),
          }),
        );
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new SylkError(
          `sylkd exited during start-up (${signal ?? `exit ${code}`}); see ${join(dirs.logs, 'sylkd.out')}`,
          { code: 'daemon.start_failed', tier: ErrorTier.UserFixable },
        ),
      );
    });
  });
}
