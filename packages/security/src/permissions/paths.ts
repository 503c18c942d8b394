/**
 * Path logic for permissions: lexical normalization (`a/../.git/hooks/x` is `.git/hooks/x`),
 * globs for path rules, and the locations an agent must never change without asking because
 * they would widen its own rights or run code later.
 */
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { linearWholeMatch, type LinearMatcher } from './linear-regex.js';
import nodePath from 'node:path';

export interface PathContext {
  projectRoot: string;
  homeDir: string;
  /** More absolute paths (and everything below them) that always need approval to read or change. */
  extraProtected?: readonly string[];
  /** Git directories the project's `.git` file (worktree, submodule) or `commondir` points at. */
  gitDirs?: readonly string[];
}

/** Absolute, lexically normalized path: `~` and `~/…` expand to `homeDir`, relative paths resolve against `base`. */
export function resolvePath(path: string, base: string, homeDir: string): string {
  if (path === '~') return nodePath.resolve(homeDir);
  if (path.startsWith('~/')) return nodePath.resolve(homeDir, path.slice(2));
  return nodePath.resolve(base, path);
}

/** `path` is `root` or below it (both absolute and normalized); a string comparison, it runs per operand. */
export function isInside(path: string, root: string): boolean {
  if (path === root) return true;
  const prefix = root.endsWith(nodePath.sep) ? root : root + nodePath.sep;
  return path.startsWith(prefix);
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
    return nodePath.join(realpathSync.native(existing), nodePath.relative(existing, path));
  } catch {
    return path;
  }
}

const SHELL_STARTUP = [
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.profile',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.zlogout',
  '.cshrc',
  '.tcshrc',
  '.kshrc',
  '.config/fish',
  '.inputrc',
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
  // Everything git keeps (config, hooks, commondir, info/, alternates…) can make git run programs
  // or read another repository; git updates its own objects and refs, the agent never directly.
  if (parts.includes('.git')) return ".git/ is git's own state (config, hooks, commondir can make git run programs)";
  for (const dir of ctx.gitDirs ?? []) {
    if (isInside(path, dir)) return `${dir} is this project's git directory`;
  }
  const home = nodePath.resolve(ctx.homeDir);
  for (const [place, reason] of placesOf(ctx).write) {
    if (isInside(path, place)) return reason;
  }
  // Deleting a directory that holds the project or the home directory deletes all of the above.
  if (op === 'delete' && (isInside(nodePath.resolve(ctx.projectRoot), path) || isInside(home, path)))
    return 'it contains protected files';
  return undefined;
}

type Places = { write: Array<readonly [string, string]>; read: Array<readonly [string, string]> };
const PLACES = new WeakMap<PathContext, Places>();

/** The protected places of a context as absolute paths, computed once: they are checked per operand. */
function placesOf(ctx: PathContext): Places {
  let places = PLACES.get(ctx);
  if (places === undefined) {
    const home = nodePath.resolve(ctx.homeDir);
    const extra = (ctx.extraProtected ?? []).map((e) => [nodePath.resolve(e), `${e} is protected`] as const);
    places = {
      write: [
        ...SHELL_STARTUP.map((rel) => [nodePath.join(home, rel), `${rel} runs at shell start-up`] as const),
        ...USER_CONFIG.map((rel) => [nodePath.join(home, rel), `~/${rel} configures commands run later`] as const),
        ...extra,
      ],
      read: [...HOME_SECRETS.map((rel) => [nodePath.join(home, rel), `~/${rel} holds secrets`] as const), ...extra],
    };
    PLACES.set(ctx, places);
  }
  return places;
}

/** Devices that read nothing of anyone's (`< /dev/null`). */
export const HARMLESS_DEVICES: ReadonlySet<string> = new Set([
  '/dev/null',
  '/dev/zero',
  '/dev/random',
  '/dev/urandom',
  '/dev/stdin',
  '/dev/stdout',
  '/dev/stderr',
  '/dev/tty',
]);

/** Secrets and histories under the home directory that no command reads silently. */
const HOME_SECRETS = [
  '.ssh',
  '.aws',
  '.gnupg',
  '.netrc',
  '.config/sylk',
  '.docker',
  '.kube',
  '.npmrc',
  '.pypirc',
  '.git-credentials',
  '.config/gh',
  '.config/hub',
  '.local/share/keyrings',
  '.password-store',
  '.mozilla',
  '.config/google-chrome',
  '.config/chromium',
  '.azure',
  '.config/gcloud',
  '.cargo/credentials',
  '.cargo/credentials.toml',
  '.gem/credentials',
  '.terraform.d',
  '.vault-token',
  '.bash_history',
  '.zsh_history',
  '.python_history',
  '.node_repl_history',
  '.psql_history',
  '.mysql_history',
  '.lesshst',
  '.viminfo',
  '.pgpass',
  '.my.cnf',
  '.s3cfg',
  '.boto',
  '.config/rclone',
  '.m2/settings.xml',
  '.gradle/gradle.properties',
  '.cache/sylk',
];

/**
 * Why reading `path` (absolute) always asks, whatever the allowlist says: the kernel's view of
 * processes (`/proc/$PPID/environ` holds the daemon's environment), devices, the home
 * directory's secrets and Sylk's own directories; undefined otherwise.
 */
export function protectedReadReason(path: string, ctx: PathContext): string | undefined {
  if (isInside(path, '/proc') || isInside(path, '/sys'))
    return `${path.split(nodePath.sep).slice(0, 2).join('/')} exposes processes and the kernel`;
  if (isInside(path, '/dev') && !HARMLESS_DEVICES.has(path)) return 'devices are not project files';
  for (const [place, reason] of placesOf(ctx).read) {
    if (isInside(path, place)) return reason;
  }
  return undefined;
}

/**
 * The git directories a `.git` file at the project root points at (worktrees, submodules), and
 * their `commondir`; writes there are as dangerous as writes to `.git/` itself.
 */
export function linkedGitDirs(projectRoot: string): string[] {
  const out: string[] = [];
  const dotGit = nodePath.join(projectRoot, '.git');
  let gitDir = dotGit;
  try {
    if (lstatSync(dotGit).isFile()) {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
      if (m === null) return out;
      gitDir = nodePath.resolve(projectRoot, m[1] as string);
      out.push(gitDir, realTarget(gitDir));
    }
  } catch {
    return out;
  }
  try {
    const common = readFileSync(nodePath.join(gitDir, 'commondir'), 'utf8').trim();
    if (common !== '') {
      const dir = nodePath.resolve(gitDir, common);
      out.push(dir, realTarget(dir));
    }
  } catch {
    // no commondir: an ordinary repository
  }
  return [...new Set(out)];
}

/** The nearest directory at or above `dir` holding a `.git` entry: where git finds its repository. */
export function repositoryTop(dir: string): string | undefined {
  for (let d = dir; ; d = nodePath.dirname(d)) {
    try {
      lstatSync(nodePath.join(d, '.git'));
      return d;
    } catch {
      if (nodePath.dirname(d) === d) return undefined;
    }
  }
}

/** Files that are fine to edit but need approval to delete (`.env`, `.gitignore`). */
export function sensitiveDeleteReason(path: string): string | undefined {
  const name = nodePath.basename(path);
  if (name === '.env' || name.startsWith('.env.') || name === '.envrc') return `${name} holds environment settings`;
  if (name === '.gitignore') return '.gitignore decides what git keeps out of commits';
  if (name.endsWith('.pem') || name.endsWith('.key') || /^id_[a-z0-9]+(\.pub)?$/.test(name))
    return `${name} looks like a key`;
  return undefined;
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/**
 * `*` and `?` stay within a path segment, `**` crosses segments, `\` escapes.
 * @internal exported for tests
 */
export function globToRegExp(glob: string): LinearMatcher {
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
  return linearWholeMatch(re);
}

/** Path patterns are relative to the project root unless absolute or `~/…`. */
export function matchesPathPattern(path: string, pattern: string, ctx: PathContext): boolean {
  return globToRegExp(resolvePath(pattern, ctx.projectRoot, ctx.homeDir)).test(path);
}

/** The pattern an "allow always" would persist for this path: exact, project-relative when inside. */
export function pathPattern(path: string, ctx: PathContext): string {
  const root = nodePath.resolve(ctx.projectRoot);
  const literal = (isInside(path, root) && path !== root ? nodePath.relative(root, path) : path).replace(
    /[*?\\]/g,
    (c) => `\\${c}`,
  );
  return literal;
}
