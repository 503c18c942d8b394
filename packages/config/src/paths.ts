/**
 * Where Sylk keeps things (docs/operations.md). Shared by sylkd and the CLI, so this module stays free of
 * ajv/yaml/chokidar and is also published as `@sylk/config/paths`.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { homedir as osHomedir } from 'node:os';
import nodePath from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';

export type Env = Readonly<Record<string, string | undefined>>;

export interface SylkDirs {
  config: string;
  data: string;
  cache: string;
  state: string;
  runtime: string;
  /** {state}/logs */
  logs: string;
  /** {state}/temp */
  temp: string;
  /** {state}/locks */
  locks: string;
  /** {data}/staging */
  staging: string;
  /** {data}/backups */
  backups: string;
}

export interface ResolveDirsOptions {
  platform?: NodeJS.Platform;
  /** Default: `$HOME` from `env` when absolute, else os.homedir(). */
  homedir?: string;
}

type Root = 'config' | 'data' | 'cache' | 'state' | 'runtime';

const EXPLICIT: Record<Root, string> = {
  config: 'SYLK_CONFIG_DIR',
  data: 'SYLK_DATA_DIR',
  cache: 'SYLK_CACHE_DIR',
  state: 'SYLK_STATE_DIR',
  runtime: 'SYLK_RUNTIME_DIR',
};
const UNDER_HOME: Record<Root, string> = {
  config: 'config',
  data: 'data',
  cache: 'cache',
  state: 'state',
  runtime: 'run',
};
const XDG: Record<Root, string> = {
  config: 'XDG_CONFIG_HOME',
  data: 'XDG_DATA_HOME',
  cache: 'XDG_CACHE_HOME',
  state: 'XDG_STATE_HOME',
  runtime: 'XDG_RUNTIME_DIR',
};

/** Environment variables that choose directories; the config env layer skips them. */
export const DIR_ENV_VARS: readonly string[] = ['SYLK_HOME', ...Object.values(EXPLICIT)];

function pathFor(platform: NodeJS.Platform): nodePath.PlatformPath {
  return platform === 'win32' ? nodePath.win32 : nodePath.posix;
}

/** Resolve every Sylk root: SYLK_*_DIR > SYLK_HOME > XDG_* > platform default. */
export function resolveDirs(env: Env, opts: ResolveDirsOptions = {}): SylkDirs {
  const platform = opts.platform ?? process.platform;
  const p = pathFor(platform);
  // Windows variable names are case-insensitive; a copied env object is not.
  const lookup = (name: string): string | undefined => {
    const value = platform === 'win32' ? Object.entries(env).find(([k]) => k.toUpperCase() === name)?.[1] : env[name];
    // The XDG spec says relative or empty values are ignored; we do the same for our own.
    return value !== undefined && value !== '' && p.isAbsolute(value) ? p.normalize(value) : undefined;
  };
  // The env passed in (e.g. a client's forwarded env) beats the daemon's own home directory.
  const home = opts.homedir ?? lookup('HOME') ?? osHomedir();
  const sylkHome = lookup('SYLK_HOME');
  const appData = lookup('APPDATA') ?? p.join(home, 'AppData', 'Roaming');
  const localAppData = lookup('LOCALAPPDATA') ?? p.join(home, 'AppData', 'Local');
  const native: Record<Exclude<Root, 'runtime'>, string> = platform === 'win32'
    ? { config: appData, data: appData, cache: localAppData, state: localAppData }
    : platform === 'darwin'
      ? {
          config: p.join(home, 'Library', 'Preferences'),
          data: p.join(home, 'Library', 'Application Support'),
          cache: p.join(home, 'Library', 'Caches'),
          state: p.join(home, 'Library', 'Logs'),
        }
      : {
          config: p.join(home, '.config'),
          data: p.join(home, '.local', 'share'),
          cache: p.join(home, '.cache'),
          state: p.join(home, '.local', 'state'),
        };
  const root = (kind: Root, fallback: () => string): string => {
    const explicit = lookup(EXPLICIT[kind]);
    if (explicit !== undefined) return explicit;
    if (sylkHome !== undefined) return p.join(sylkHome, UNDER_HOME[kind]);
    const xdg = lookup(XDG[kind]);
    return xdg !== undefined ? p.join(xdg, 'sylk') : fallback();
  };
  const config = root('config', () => p.join(native.config, 'sylk'));
  const data = root('data', () => p.join(native.data, 'sylk'));
  const cache = root('cache', () => p.join(native.cache, 'sylk'));
  const state = root('state', () => p.join(native.state, 'sylk'));
  const runtime = root('runtime', () => p.join(state, 'run'));
  return {
    config,
    data,
    cache,
    state,
    runtime,
    logs: p.join(state, 'logs'),
    temp: p.join(state, 'temp'),
    locks: p.join(state, 'locks'),
    staging: p.join(data, 'staging'),
    backups: p.join(data, 'backups'),
  };
}

/** The daemon socket: `$SYLK_SOCKET` (must be absolute) or `{runtime}/sylkd.sock`. */
export function resolveSocketPath(env: Env, dirs: SylkDirs): string {
  const explicit = env.SYLK_SOCKET;
  if (explicit === undefined || explicit === '') return nodePath.join(dirs.runtime, 'sylkd.sock');
  if (!nodePath.isAbsolute(explicit)) {
    throw new SylkError(`SYLK_SOCKET must be an absolute path, got "${explicit}"`, {
      tier: ErrorTier.UserFixable,
      code: 'config.socket_relative',
      hint: 'Set SYLK_SOCKET to an absolute path or unset it to use the default socket.',
      details: { value: explicit },
    });
  }
  return nodePath.normalize(explicit);
}

/** The single-instance lock file of sylkd. */
export function lockPath(dirs: SylkDirs): string {
  return nodePath.join(dirs.runtime, 'sylkd.lock');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function findUp(start: string, test: (dir: string) => boolean): string | undefined {
  let dir = nodePath.resolve(start);
  for (;;) {
    if (test(dir)) return dir;
    const parent = nodePath.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The project containing `startDir`: the nearest ancestor with a `.sylk/` directory, else the
 * nearest with `.git` (directory or worktree file). The home directory's `.sylk/` does not count:
 * older Sylk versions kept per-user state there.
 */
export function findProjectRoot(startDir: string, opts: { homedir?: string } = {}): string | undefined {
  const home = nodePath.resolve(opts.homedir ?? osHomedir());
  return (
    findUp(startDir, (dir) => dir !== home && isDirectory(nodePath.join(dir, '.sylk'))) ??
    findUp(startDir, (dir) => existsSync(nodePath.join(dir, '.git')))
  );
}

/**
 * What a project root is when a session there would expose every file the user owns: `/` or
 * the home directory (compared by real path). Sessions there need the user's confirmation.
 */
export function broadProjectRoot(
  root: string,
  homedir: string,
): 'the filesystem root' | 'your home directory' | undefined {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return nodePath.resolve(path);
    }
  };
  const resolved = real(root);
  if (resolved === nodePath.parse(resolved).root) return 'the filesystem root';
  if (homedir !== '' && resolved === real(homedir)) return 'your home directory';
  return undefined;
}

/** 16 hex digits of SHA-256 over the project's real path; names its data directory. */
export function projectHash(root: string): string {
  return createHash('sha256').update(realpathSync(root)).digest('hex').slice(0, 16);
}

/** `mkdir -p` that sets `mode` exactly (umask aside) on the directories it creates, and only those. */
export function ensureDir(path: string, mode = 0o700): void {
  const target = nodePath.resolve(path);
  const first = mkdirSync(target, { recursive: true, mode });
  if (first === undefined) return;
  for (let dir = target; ; dir = nodePath.dirname(dir)) {
    chmodSync(dir, mode);
    if (dir === first || nodePath.dirname(dir) === dir) break;
  }
}
