import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, sep } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';

const caseInsensitive = process.platform === 'darwin' || process.platform === 'win32';

function norm(path: string): string {
  return caseInsensitive ? path.toLowerCase() : path;
}

function isInside(target: string, root: string): boolean {
  const t = norm(target);
  const r = norm(root);
  if (t === r) return true;
  return t.startsWith(r.endsWith(sep) ? r : r + sep);
}

async function resolveRoot(root: string): Promise<string | undefined> {
  if (!isAbsolute(root)) return undefined;
  try {
    return await realpath(root);
  } catch {
    return undefined; // A root that does not exist (yet) admits nothing.
  }
}

/**
 * The allowed roots, each resolved once it exists. Caching is safe: a cached real root still
 * names the directory that was the root, even if the root path is later swapped for a symlink.
 */
export class AllowedRoots {
  private readonly resolved = new Map<string, string>();

  constructor(readonly roots: readonly string[]) {}

  async real(): Promise<string[]> {
    const out = await Promise.all(
      this.roots.map(async (root) => {
        const known = this.resolved.get(root);
        if (known !== undefined) return known;
        const real = await resolveRoot(root);
        if (real !== undefined) this.resolved.set(root, real);
        return real;
      }),
    );
    return out.filter((r): r is string => r !== undefined);
  }
}

/**
 * The real working directory for a command: absolute, symlinks resolved, inside one of the
 * allowed roots (themselves resolved). Errors name the requested path, the target and the roots.
 */
export async function resolveWorkingDirectory(
  requested: string,
  roots: readonly string[] | AllowedRoots,
): Promise<string> {
  if (!isAbsolute(requested)) {
    throw new SylkError(`working directory must be an absolute path: ${requested}`, {
      tier: ErrorTier.Permanent,
      code: 'tools.cwd_not_absolute',
      details: { requested },
      hint: 'Pass an absolute path inside the project.',
    });
  }
  // realpath(3) of a local directory takes microseconds; a thread-pool hop costs more than the
  // lookup on every command's path, so the target is resolved synchronously (roots are cached).
  const [target, resolvedRoots] = await Promise.all([
    Promise.resolve()
      .then(() => realpathSync.native(requested))
      .catch((err: unknown) => {
        throw new SylkError(`working directory does not exist: ${requested}`, {
          tier: ErrorTier.Permanent,
          code: 'tools.cwd_not_found',
          cause: err,
          details: { requested },
        });
      }),
    (roots instanceof AllowedRoots ? roots : new AllowedRoots(roots)).real(),
  ]);
  if (resolvedRoots.some((root) => isInside(target, root))) return target;
  throw new SylkError(
    `working directory ${requested} resolves to ${target}, which is outside the allowed roots (${resolvedRoots.join(', ') || 'none'})`,
    {
      tier: ErrorTier.Permanent,
      code: 'tools.cwd_outside_roots',
      details: { requested, resolved: target, roots: resolvedRoots },
      hint: 'Commands may only run inside the project, its staging area or the session temp directory.',
    },
  );
}
