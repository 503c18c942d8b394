import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { nodeCode } from './errors.js';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a regular file's content, or null if nothing is there. Refuses to follow a symlink leaf. */
export async function sha256File(path: string): Promise<string | null> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (nodeCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** A temp name that never collides with the leaf and stays short whatever the leaf length. */
function tempSiblingName(): string {
  return `.sylk-tmp-${randomBytes(8).toString('hex')}`;
}

export interface AtomicWriteOptions {
  /** File mode for the new file (umask applies); default 0o666. */
  mode?: number;
  /** Called after the temp file is complete and before the rename; may throw to abort. */
  beforeRename?: () => Promise<void>;
}

/**
 * Whole-file write: temp sibling in `dir` (O_EXCL|O_NOFOLLOW), fsync, then rename over `dir/leaf`.
 * rename(2) replaces the directory entry itself, so a symlink or hard link planted at the leaf
 * is replaced, never written through. `dir` must already be a realpath the caller checked.
 */
export async function writeFileAtomic(
  dir: string,
  leaf: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = join(dir, tempSiblingName());
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await fsp.open(tmp, flags, options.mode ?? 0o666);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.();
    await fsp.rename(tmp, join(dir, leaf));
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** JSON written with writeFileAtomic; for manifests and journals Sylk owns. */
export async function writeJsonAtomic(dir: string, leaf: string, value: unknown): Promise<void> {
  await writeFileAtomic(dir, leaf, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}
