import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { SylkError, ErrorTier } from '@sylk/core';

/** Unix domain socket paths are limited (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = process.platform === 'darwin' ? 103 : 107;

/**
 * Make sure the socket's directory is private before we listen in it: created
 * 0700 when missing, and refused when it is a symlink, owned by another user or
 * writable by group/others (anyone could swap our socket for theirs).
 */
export function prepareSocketDir(socketPath: string): string {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new SylkError(
      `socket path is too long for a Unix socket (${Buffer.byteLength(socketPath)} > ${MAX_SOCKET_PATH} bytes): ${socketPath}`,
      {
        code: 'daemon.socket_path_too_long',
        tier: ErrorTier.UserFixable,
        hint: 'set SYLK_SOCKET to a shorter absolute path',
      },
    );
  }
  const dir = dirname(socketPath);
  let created = false;
  try {
    lstatSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    created = true;
  }
  if (created) chmodSync(dir, 0o700);
  const st = lstatSync(dir);
  const problem = !st.isDirectory()
    ? 'is not a directory (or is a symlink)'
    : typeof process.getuid === 'function' && st.uid !== process.getuid()
      ? `is owned by uid ${st.uid}, not by you (uid ${process.getuid()})`
      : (st.mode & 0o022) !== 0
        ? `is writable by ${st.mode & 0o020 ? 'group' : ''}` +
          `${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${st.mode & 0o002 ? 'others' : ''}` +
          ` (mode ${(st.mode & 0o777).toString(8)})`
        : undefined;
  if (problem !== undefined) {
    throw new SylkError(`refusing to listen: socket directory ${dir} ${problem}`, {
      code: 'daemon.unsafe_socket_dir',
      tier: ErrorTier.UserFixable,
      hint: `use a private directory (mode 0700, owned by you), e.g. unset SYLK_SOCKET or run: chmod 700 ${dir}`,
    });
  }
  return dir;
}

/** Remove a socket file left behind by a dead daemon; never removes anything else. */
export function removeStaleSocket(socketPath: string): void {
  try {
    const st = lstatSync(socketPath);
    if (!st.isSocket()) {
      throw new SylkError(`${socketPath} exists and is not a socket; refusing to replace it`, {
        code: 'daemon.socket_path_taken',
        tier: ErrorTier.UserFixable,
      });
    }
    unlinkSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
