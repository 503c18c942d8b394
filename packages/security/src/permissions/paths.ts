/**
 * Path logic for permissions: lexical normalization (`a/../.git/hooks/x` is `.git/hooks/x`),
 * globs for path rules, and the locations an agent must never change without asking because
 * they would widen its own rights or run code later (SPEC 4.1).
 */
import { lstatSync, realpathSync } from 'node:fs';
import nodePath from 'node:path';

export interface PathContext {
  projectRoot: string;
  homeDir: string;
  /** More absolute paths (and everything below them) that always need approval to change. */
  extraProtected?: readonly string[];
}

/** Absolute, lexically normalized path: `~` and `~/…` expand to `homeDir`, relative paths resolve against `base`. */
export function resolvePath(path: string, base: string, homeDir: string): string {
  if (path === '~') return nodePath.resolve(homeDir);
  if (path.startsWith('~/')) return nodePath.resolve(homeDir, path.slice(2));
  return nodePath.resolve(base, path);
}

/** `path` is `root` or below it (both absolute and normalized). */
export function isInside(path: string, root: string): boolean {
  const rel = nodePath.relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !nodePath.isAbsolute(rel));
}

/**
 * The same path with symlinks in its existing part resolved, so a link planted inside the
 * project cannot smuggle a write into a protected place. Equals `path` when nothing resolves.
 */
export function realTarget(path: string): string {
  let existing = path;
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      const parent = nodePath.dirname(existing);
      if (parent === existing) return path;
      existing = parent;
    }
  }
  try {
    return nodePath.join(realpathSync(existing), nodePath.relative(existing, path));
  } catch {
    return path;
  }
}

const SHELL_STARTUP = [
  '.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.profile', '.zshrc', '.zshenv', '.zprofile', '.zlogin',
  '.zlogout', '.cshrc', '.tcshrc', '.kshrc', '.config/fish', '.inputrc',
];
/** Other per-user files that configure commands Sylk or the user will run later. */
const USER_CONFIG = ['.gitconfig', '.config/git', '.ssh', '.npmrc', '.config/sylk'];

/**
 * Why writing or deleting `path` (absolute, normalized) always needs approval, whatever the
 * allowlist says; undefined when it is not protected.
 */
export function protectedReason(path: string, ctx: PathContext, op: 'write' | 'delete' = 'write'): string | undefined {
  const parts = path.split(nodePath.sep);
  const sylk = parts.indexOf('.sylk');
  if (sylk !== -1) return '.sylk/ holds Sylk settings and the permission allowlist';
  const git = parts.lastIndexOf('.git');
  if (git === parts.length - 1) return '.git decides which repository and hooks git uses';
  if (git !== -1 && parts[git + 1] === 'hooks') return '.git/hooks run code on git operations';
  if (git !== -1 && parts[git + 1] === 'config' && parts.length === git + 2) return '.git/config can make git run commands';
  const home = nodePath.resolve(ctx.homeDir);
  for (const rel of SHELL_STARTUP) {
    if (isInside(path, nodePath.join(home, rel))) return `${rel} runs at shell start-up`;
  }
  for (const rel of USER_CONFIG) {
    if (isInside(path, nodePath.join(home, rel))) return `~/${rel} configures commands run later`;
  }
  for (const extra of ctx.extraProtected ?? []) {
    if (isInside(path, nodePath.resolve(extra))) return `${extra} is protected`;
  }
  // Deleting a directory that holds the project or the home directory deletes all of the above.
  if (op === 'delete' && (isInside(nodePath.resolve(ctx.projectRoot), path) || isInside(home, path))) return 'it contains protected files';
  return undefined;
}

/** Files that are fine to edit but need approval to delete (SPEC 4.1: `.env`, `.gitignore`). */
export function sensitiveDeleteReason(path: string): string | undefined {
  const name = nodePath.basename(path);
  if (name === '.env' || name.startsWith('.env.') || name === '.envrc') return `${name} holds environment settings`;
  if (name === '.gitignore') return '.gitignore decides what git keeps out of commits';
  if (name.endsWith('.pem') || name.endsWith('.key') || /^id_[a-z0-9]+(\.pub)?$/.test(name)) return `${name} looks like a key`;
  return undefined;
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** `*` and `?` stay within a path segment, `**` crosses segments, `\` escapes. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) {
      re += escapeRegExp(glob[++i] as string);
    } else if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

/** Path patterns are relative to the project root unless absolute or `~/…`. */
export function matchesPathPattern(path: string, pattern: string, ctx: PathContext): boolean {
  return globToRegExp(resolvePath(pattern, ctx.projectRoot, ctx.homeDir)).test(path);
}

/** The pattern an "allow always" would persist for this path: exact, project-relative when inside. */
export function pathPattern(path: string, ctx: PathContext): string {
  const root = nodePath.resolve(ctx.projectRoot);
  const literal = (isInside(path, root) && path !== root ? nodePath.relative(root, path) : path).replace(/[*?\\]/g, (c) => `\\${c}`);
  return literal;
}
