import { realpath } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { FileSystemManager } from '@sylk/tools';

/** realpath of the project root (what resolved targets are relative to). */
export async function projectRealRoot(fs: FileSystemManager): Promise<string> {
  const roots = await fs.boundary.allowedRoots();
  return roots.find((r) => r.name === 'project')?.path ?? (await realpath(fs.boundary.projectRoot));
}

/**
 * The absolute real path a read-side tool may look at: inside the allowed roots, symlinks
 * followed and checked (throws `tools.path_outside_roots`). The project root itself is allowed.
 */
export async function resolveForRead(fs: FileSystemManager, requested: string): Promise<string> {
  const root = fs.boundary.projectRoot;
  if (requested === '' || resolve(root, requested) === root) return projectRealRoot(fs);
  const resolved = await fs.boundary.resolve(requested, { followLeaf: true });
  return resolved.target;
}

/** Project-relative with `/` separators when inside the project, else absolute. */
export function displayPath(realRoot: string, absolute: string): string {
  const rel = relative(realRoot, absolute);
  if (rel === '') return '.';
  if (rel.startsWith('..') || resolve(realRoot, rel) !== absolute) return absolute;
  return rel.split(sep).join('/');
}
