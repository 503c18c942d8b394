import { promises as fsp, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';
import { nodeCode, outsideRoots } from './errors.js';

export interface Roots {
  project: string;
  staging?: string;
  temp?: string;
  extras?: string[];
}

export interface NamedRoot {
  name: 'project' | 'staging' | 'temp' | 'extra';
  /** realpath of the root. */
  path: string;
}

export interface ResolvedPath {
  requested: string;
  /** realpath of the parent directory. */
  parent: string;
  leaf: string;
  /** parent/leaf: the directory entry that will be touched. */
  target: string;
  root: NamedRoot;
  /** lstat of the target, undefined when nothing is there yet. */
  stat: Stats | undefined;
  /** Set when the requested leaf was a symlink that was followed to `target`. */
  via?: string;
}

export interface ResolveOptions {
  /** Create missing parent directories, one checked component at a time. */
  createParents?: boolean;
  /** Follow a symlink at the leaf (writes) rather than act on the link itself (delete, rename). */
  followLeaf?: boolean;
  /**
   * Resolve through missing parents without creating them (staged writes): the deepest existing
   * ancestor is realpath'd and checked, the missing tail is appended as is.
   */
  allowMissingParents?: boolean;
}

const caseInsensitiveDefault = process.platform === 'darwin' || process.platform === 'win32';

function isWithin(root: string, candidate: string, caseInsensitive = caseInsensitiveDefault): boolean {
  const a = caseInsensitive ? root.toLowerCase() : root;
  const b = caseInsensitive ? candidate.toLowerCase() : candidate;
  const rel = relative(a, b);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves a requested path to a directory entry inside the allowed roots: the parent is
 * realpath'd and checked, the leaf is lstat'd (symlink leaves are followed and re-checked, or
 * acted on as links). The caller then operates on `parent/leaf` with calls that do not follow a
 * leaf symlink (rename over, unlink, O_NOFOLLOW), so swapping the leaf after the check cannot
 * redirect the operation. What remains: an ancestor directory replaced by a symlink between
 * `recheck` and the syscall; Node has no openat/renameat to close that window.
 */
export class PathBoundary {
  private realRoots: Promise<NamedRoot[]> | undefined;

  constructor(
    private readonly roots: Roots,
    private readonly caseInsensitive = caseInsensitiveDefault,
  ) {}

  get projectRoot(): string {
    return resolve(this.roots.project);
  }

  async allowedRoots(): Promise<NamedRoot[]> {
    this.realRoots ??= this.loadRoots();
    return this.realRoots;
  }

  private async loadRoots(): Promise<NamedRoot[]> {
    const entries: Array<[NamedRoot['name'], string | undefined]> = [
      ['project', this.roots.project],
      ['staging', this.roots.staging],
      ['temp', this.roots.temp],
      ...(this.roots.extras ?? []).map((p): [NamedRoot['name'], string] => ['extra', p]),
    ];
    const out: NamedRoot[] = [];
    for (const [name, p] of entries) {
      if (p === undefined) continue;
      try {
        out.push({ name, path: await fsp.realpath(resolve(p)) });
      } catch (err) {
        // A root that does not exist yet (lazy temp/staging) cannot contain anything.
        if (nodeCode(err) !== 'ENOENT' || name === 'project') throw err;
      }
    }
    return out;
  }

  /** Forget cached root realpaths (after a lazily created root appears). */
  refresh(): void {
    this.realRoots = undefined;
  }

  async rootOf(realPath: string): Promise<NamedRoot | undefined> {
    const roots = await this.allowedRoots();
    return roots.find((r) => isWithin(r.path, realPath, this.caseInsensitive));
  }

  async resolve(requested: string, options: ResolveOptions = {}): Promise<ResolvedPath> {
    if (requested.length === 0 || requested.includes('\0')) {
      throw new SylkError(`Invalid path ${JSON.stringify(requested)}`, {
        code: 'tools.invalid_path',
        tier: ErrorTier.Permanent,
      });
    }
    const absolute = resolve(this.projectRoot, requested);
    const parentPath = dirname(absolute);
    const leaf = basename(absolute);
    const parent = await this.realParent(
      requested,
      absolute,
      parentPath,
      options.createParents === true,
      options.allowMissingParents === true,
    );
    const root = await this.rootOf(parent);
    if (root === undefined || (parent === root.path && leaf === '')) {
      throw await this.boundaryError(requested, join(parent, leaf), absolute);
    }
    const target = join(parent, leaf);
    const stat = await lstatOrUndefined(target);
    if (stat?.isSymbolicLink() && options.followLeaf === true) {
      return this.followLink(requested, target);
    }
    return { requested, parent, leaf, target, root, stat };
  }

  /** Re-checks that a resolved parent still realpaths to itself, just before the syscall. */
  async recheck(resolved: ResolvedPath): Promise<void> {
    let now: string;
    try {
      now = await fsp.realpath(resolved.parent);
    } catch {
      now = '<gone>';
    }
    if (now !== resolved.parent || (await this.rootOf(now)) === undefined) {
      throw new SylkError(`Parent of "${resolved.requested}" changed during the operation (now "${now}")`, {
        code: 'tools.path_changed',
        tier: ErrorTier.Transient,
        details: { requested: resolved.requested, expected: resolved.parent, actual: now },
      });
    }
  }

  private async followLink(requested: string, link: string): Promise<ResolvedPath> {
    let real: string;
    try {
      real = await fsp.realpath(link);
    } catch (err) {
      if (nodeCode(err) !== 'ENOENT' && nodeCode(err) !== 'ELOOP') throw err;
      const pointsTo = await fsp.readlink(link).catch(() => '?');
      throw new SylkError(`Path "${requested}" is a dangling or looping symlink "${link}" -> "${pointsTo}"`, {
        code: 'tools.dangling_symlink',
        tier: ErrorTier.Permanent,
        details: { requested, link, pointsTo },
      });
    }
    const root = await this.rootOf(real);
    if (root === undefined) {
      throw outsideRoots({
        requested,
        resolved: real,
        boundary: await this.crossedBoundary(requested, link),
        via: link,
      });
    }
    const stat = await fsp.lstat(real);
    return { requested, parent: dirname(real), leaf: basename(real), target: real, root, stat, via: link };
  }

  private async realParent(
    requested: string,
    absolute: string,
    parentPath: string,
    create: boolean,
    allowMissing = false,
  ): Promise<string> {
    try {
      return await fsp.realpath(parentPath);
    } catch (err) {
      if (nodeCode(err) === 'ENOENT' && allowMissing && !create) {
        const deepest = await this.deepestExisting(parentPath);
        if ((await this.rootOf(deepest.real)) === undefined)
          throw await this.boundaryError(requested, join(deepest.real, ...deepest.missing), absolute);
        return join(deepest.real, ...deepest.missing);
      }
      if (nodeCode(err) !== 'ENOENT' || !create) {
        if (nodeCode(err) === 'ENOENT') {
          // A dangling link somewhere in the parent chain: report it as a boundary problem when it leads out.
          const deepest = await this.deepestExisting(parentPath);
          if ((await this.rootOf(deepest.real)) === undefined)
            throw await this.boundaryError(requested, deepest.real, absolute);
        }
        throw err;
      }
    }
    // Create missing components one by one from the deepest real, in-bounds ancestor.
    const { real, missing } = await this.deepestExisting(parentPath);
    if ((await this.rootOf(real)) === undefined)
      throw await this.boundaryError(requested, join(real, ...missing), absolute);
    let current = real;
    for (const part of missing) {
      const next = join(current, part);
      try {
        await fsp.mkdir(next);
      } catch (err) {
        if (nodeCode(err) !== 'EEXIST') throw err;
      }
      const st = await fsp.lstat(next);
      if (!st.isDirectory()) {
        // Someone planted a symlink/file where we create directories: resolve it and check again.
        return this.realParent(requested, absolute, parentPath, false);
      }
      current = next;
    }
    return fsp.realpath(parentPath);
  }

  private async deepestExisting(path: string): Promise<{ real: string; missing: string[] }> {
    const missing: string[] = [];
    let current = path;
    for (;;) {
      try {
        return { real: await fsp.realpath(current), missing };
      } catch (err) {
        const code = nodeCode(err);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
        const up = dirname(current);
        if (up === current) throw err;
        missing.unshift(basename(current));
        current = up;
      }
    }
  }

  private async boundaryError(requested: string, resolved: string, absolute: string): Promise<SylkError> {
    return outsideRoots({
      requested,
      resolved,
      boundary: await this.crossedBoundary(requested, absolute),
      via: await this.crossingPoint(absolute),
    });
  }

  /** The root the request started under (relative paths start at the project), else all of them. */
  private async crossedBoundary(requested: string, absolute: string): Promise<string> {
    const roots = await this.allowedRoots();
    const project = roots.find((r) => r.name === 'project');
    const start = !isAbsolute(requested)
      ? project
      : roots.find((r) => isWithin(r.path, absolute, this.caseInsensitive) || this.lexicallyWithin(r, absolute));
    return start === undefined
      ? `every allowed root (${this.describe(roots)})`
      : `the ${start.name} root "${start.path}"`;
  }

  private lexicallyWithin(root: NamedRoot, absolute: string): boolean {
    const given = root.name === 'extra' ? (this.roots.extras ?? []) : [this.roots[root.name]];
    return given.some((g) => g !== undefined && isWithin(resolve(g), absolute, this.caseInsensitive));
  }

  private describe(roots: NamedRoot[]): string {
    return roots.map((r) => `${r.name} "${r.path}"`).join(', ');
  }

  /** The first symlink along `absolute` whose realpath leaves every root, if any. */
  private async crossingPoint(absolute: string): Promise<string | undefined> {
    const parts = absolute.split(sep).filter((p) => p.length > 0);
    let prefix: string = sep;
    for (const part of parts) {
      prefix = join(prefix, part);
      const st = await lstatOrUndefined(prefix);
      if (st === undefined) return undefined;
      if (!st.isSymbolicLink()) continue;
      const real = await fsp.realpath(prefix).catch(() => undefined);
      if (real === undefined || (await this.rootOf(real)) === undefined) {
        // Only a link inside a root counts as "crossing"; links above the roots are the roots' own path.
        if ((await this.rootOf(await fsp.realpath(dirname(prefix)).catch(() => dirname(prefix)))) !== undefined)
          return prefix;
      }
    }
    return undefined;
  }
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(path);
  } catch (err) {
    if (nodeCode(err) === 'ENOENT' || nodeCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}
