/** The proxy's Unix socket file: a length that fits, a private directory, no stale leftovers. */
import { lstat, mkdir, chmod, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';

/** `sun_path` holds 108 bytes on Linux and 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export function socketPathFits(path: string): boolean {
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES;
}

function fsError(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Make the directory 0700 (created if missing, refused if not ours) and remove a stale socket. */
export async function prepareSocketPath(path: string): Promise<void> {
  if (!socketPathFits(path)) {
    throw new SylkError(
      `The proxy socket path is ${Buffer.byteLength(path)} bytes, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: ${path}`,
      {
        code: 'proxy.socket_path_too_long',
        tier: ErrorTier.UserFixable,
        hint: 'Use a shorter SYLK_RUNTIME_DIR (or XDG_RUNTIME_DIR).',
      },
    );
  }
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) {
    throw new SylkError(`The proxy socket directory ${dir} is not a directory owned by this user`, {
      code: 'proxy.socket_dir_unsafe',
      tier: ErrorTier.UserFixable,
      hint: `Remove ${dir} or point SYLK_RUNTIME_DIR elsewhere.`,
    });
  }
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
  try {
    const existing = await lstat(path);
    if (!existing.isSocket()) {
      throw new SylkError(`${path} exists and is not a socket`, {
        code: 'proxy.socket_path_taken',
        tier: ErrorTier.UserFixable,
        hint: `Remove ${path}.`,
      });
    }
    await unlink(path);
  } catch (err) {
    if (fsError(err) !== 'ENOENT') throw err;
  }
}

export async function removeSocket(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (fsError(err) !== 'ENOENT') throw err;
  }
}
