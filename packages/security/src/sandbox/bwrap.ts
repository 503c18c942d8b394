import { dirname, join, normalize } from 'node:path';
import {
  PROJECT_PROTECTED,
  STARTUP_FILES,
  SYSTEM_PATHS,
  SYSTEM_SECRETS,
  exposedSecret,
  isWithin,
  toolchainCompanions,
  toolchainRoot,
} from './paths.js';
import { SANDBOX_PROXY_PORT, SANDBOX_PROXY_SOCKET, type MountEntry, type SandboxLimits } from './types.js';

export type PathKind = 'dir' | 'file' | 'symlink' | 'socket' | 'missing';

/** The host filesystem as the builder sees it (injected: the builder stays a pure function). */
export interface FsView {
  kind(path: string): PathKind;
  readlink(path: string): string;
  /** The path with symlinks resolved (the path itself when it cannot be resolved). */
  realpath(path: string): string;
}

export interface BwrapPlanInput {
  homeDir: string;
  cwd: string;
  /** Writable roots the executor was given: project, staging dir, session temp. */
  writableRoots: readonly string[];
  /** Absolute (already `~`-expanded) configured paths. */
  readOnlyPaths: readonly string[];
  writablePaths: readonly string[];
  /** PATH entries of the command's environment. */
  pathEntries: readonly string[];
  /** Never mounted: credentials and Sylk's own config/data/state dirs. */
  secrets: readonly string[];
  runningAsRoot: boolean;
  fs: FsView;
  /** Host path of the proxy's Unix socket, bound into the sandbox when set. */
  proxySocketPath?: string;
}

export interface BwrapPlan {
  /** bwrap options, up to (not including) `--`. */
  args: string[];
  mounts: MountEntry[];
  /** Configured paths refused because they would expose a secret. */
  warnings: string[];
}

interface Bind {
  mode: 'ro' | 'rw';
  path: string;
  note: string;
  /** Higher wins when the same path is asked for twice. */
  rank: number;
}

const depth = (p: string) => p.split('/').filter(Boolean).length;

/** A directory, or a symlink to one. */
const isDir = (fs: FsView, path: string) => {
  const kind = fs.kind(path);
  return kind === 'dir' || (kind === 'symlink' && fs.kind(fs.realpath(path)) === 'dir');
};

/**
 * bwrap options for one command: new namespaces, system paths read-only, $HOME an empty tmpfs,
 * toolchains and configured paths bound, writable roots read-write, then the protected paths
 * (.git, .sylk, shell start-up files) re-bound read-only on top and secrets masked. Order matters:
 * tmpfs mounts first, binds after (parents before children), protections last.
 */
export function buildBwrapPlan(input: BwrapPlanInput): BwrapPlan {
  const { fs, homeDir } = input;
  const args = ['--unshare-all', '--die-with-parent', '--new-session'];
  // Root in its own user namespace still holds every capability there (it could unmount the
  // read-only binds): drop them. Unprivileged bwrap drops them itself.
  if (input.runningAsRoot) args.push('--cap-drop', 'ALL');
  const mounts: MountEntry[] = [];
  const warnings: string[] = [];

  for (const path of SYSTEM_PATHS) {
    const kind = fs.kind(path);
    if (kind === 'symlink') {
      const target = fs.readlink(path);
      args.push('--symlink', target, path);
      mounts.push({ mode: 'symlink', path, note: `→ ${target}` });
    } else if (kind === 'dir') {
      args.push('--ro-bind', path, path);
      mounts.push({ mode: 'ro', path, note: 'system' });
    }
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  mounts.push(
    { mode: 'proc', path: '/proc', note: 'fresh, this sandbox only' },
    { mode: 'dev', path: '/dev', note: 'minimal' },
    { mode: 'tmpfs', path: '/tmp', note: 'private' },
  );
  if (!isWithin(homeDir, '/tmp') && normalize(homeDir) !== '/') {
    args.push('--tmpfs', homeDir);
    mounts.push({ mode: 'tmpfs', path: homeDir, note: 'empty home' });
  }

  const binds = new Map<string, Bind>();
  // Binds go to the resolved path (the executor resolves the cwd the same way); a secret
  // reached through a symlink is caught by checking both.
  const want = (bind: Bind) => {
    const path = normalize(fs.realpath(bind.path));
    if (path !== normalize(bind.path) && input.secrets.some((s) => isWithin(path, s))) return;
    const prev = binds.get(path);
    if (prev === undefined || prev.rank < bind.rank) binds.set(path, { ...bind, path });
  };
  for (const entry of input.pathEntries) {
    const root = toolchainRoot(entry, homeDir);
    if (root === undefined) continue;
    // A secret inside a toolchain root (~/.cargo/credentials.toml) is masked below; one around it is fatal.
    for (const path of [root, ...toolchainCompanions(root, homeDir)]) {
      if (input.secrets.some((s) => isWithin(path, s)) || !isDir(fs, path)) continue;
      want({ mode: 'ro', path, note: 'toolchain on PATH', rank: 1 });
    }
  }
  const configured = (paths: readonly string[], mode: 'ro' | 'rw', rank: number) => {
    for (const path of paths) {
      const secret = exposedSecret(path, input.secrets);
      if (secret !== undefined) {
        warnings.push(
          `security.sandbox.${mode === 'ro' ? 'read_only_paths' : 'writable_paths'}: ${path} is not mounted: it would expose ${secret}`,
        );
        continue;
      }
      if (fs.kind(path) !== 'missing') want({ mode, path, note: 'configured', rank });
    }
  };
  configured(input.readOnlyPaths, 'ro', 2);
  configured(input.writablePaths, 'rw', 3);
  for (const root of input.writableRoots)
    if (isDir(fs, root)) want({ mode: 'rw', path: root, note: 'writable root', rank: 4 });

  const ordered = [...binds.values()].sort((a, b) => depth(a.path) - depth(b.path));
  for (const bind of ordered) {
    args.push(bind.mode === 'ro' ? '--ro-bind' : '--bind', bind.path, bind.path);
    mounts.push({ mode: bind.mode, path: bind.path, note: bind.note });
  }

  // Protected paths inside anything writable: re-bound read-only on top of the writable bind.
  const writable = ordered.filter((b) => b.mode === 'rw').map((b) => b.path);
  const protectedPaths = new Set<string>();
  for (const root of writable) {
    for (const name of PROJECT_PROTECTED) protectedPaths.add(join(root, name));
    for (const name of STARTUP_FILES) protectedPaths.add(join(root, name));
  }
  for (const path of [...protectedPaths].sort((a, b) => depth(a) - depth(b))) {
    const kind = fs.kind(path);
    if (kind === 'dir' || kind === 'file') {
      args.push('--ro-bind', path, path);
      mounts.push({ mode: 'ro', path, note: 'protected' });
    } else if (kind === 'symlink') {
      // A symlink could point anywhere: hide it rather than follow it.
      args.push('--ro-bind', '/dev/null', path);
      mounts.push({ mode: 'hidden', path, note: 'protected symlink' });
    }
  }

  // Secrets that lie inside something bound (a project in $HOME, /etc as root) are masked.
  const bound = ordered.map((b) => b.path);
  const visibleSecrets = [
    ...input.secrets.filter((s) => bound.some((b) => isWithin(s, b) && !isWithin(b, s))),
    ...(input.runningAsRoot ? SYSTEM_SECRETS : []),
  ];
  for (const secret of visibleSecrets) {
    if (input.writableRoots.some((root) => isWithin(root, secret) || isWithin(fs.realpath(root), secret))) continue;
    const kind = fs.kind(secret);
    if (kind === 'dir') args.push('--tmpfs', secret);
    else if (kind === 'file' || kind === 'symlink' || kind === 'socket') args.push('--ro-bind', '/dev/null', secret);
    else continue;
    mounts.push({ mode: 'hidden', path: secret, note: 'secret' });
  }

  if (input.proxySocketPath !== undefined) {
    args.push('--dir', dirname(SANDBOX_PROXY_SOCKET), '--bind', input.proxySocketPath, SANDBOX_PROXY_SOCKET);
    mounts.push({ mode: 'socket', path: SANDBOX_PROXY_SOCKET, note: `network proxy (${input.proxySocketPath})` });
  }
  args.push('--chdir', input.cwd);
  return { args, mounts, warnings };
}

/** Prefix that applies the rlimits to the command (prlimit when available, else the shell's ulimit); 0 = no limit. */
export function limitPrefix(limits: SandboxLimits, prlimitPath: string | undefined): string[] {
  const set = (n: number) => Number.isFinite(n) && n > 0;
  if (prlimitPath !== undefined) {
    // RLIMIT_DATA rather than RLIMIT_AS: V8 and WebAssembly reserve large address ranges they never
    // touch, so an address-space cap breaks node's fetch() long before memory is really short.
    const options = [
      set(limits.cpuSeconds) ? `--cpu=${limits.cpuSeconds}` : '',
      set(limits.memoryMb) ? `--data=${limits.memoryMb * 1024 * 1024}` : '',
      set(limits.openFiles) ? `--nofile=${limits.openFiles}` : '',
      set(limits.processes) ? `--nproc=${limits.processes}` : '',
    ].filter(Boolean);
    return options.length === 0 ? [] : [prlimitPath, ...options, '--'];
  }
  // dash takes one option per ulimit call; -p (dash) or -u (bash) for processes.
  const steps = [
    set(limits.cpuSeconds) ? `ulimit -t ${limits.cpuSeconds}` : '',
    set(limits.memoryMb) ? `ulimit -d ${limits.memoryMb * 1024}` : '',
    set(limits.openFiles) ? `ulimit -n ${limits.openFiles}` : '',
    set(limits.processes) ? `{ ulimit -p ${limits.processes} || ulimit -u ${limits.processes}; } 2>/dev/null` : '',
  ].filter(Boolean);
  return steps.length === 0 ? [] : ['/bin/sh', '-c', `${steps.join('; ')}; exec "$@"`, 'sylk-limits'];
}

/**
 * Inside the sandbox: start the socat bridge (127.0.0.1:3128 → the proxy's Unix socket), wait
 * until it listens (at most ~2 s), then exec the command. /proc/net/tcp lists listening sockets
 * as `0100007F:<port hex> 00000000:0000 0A`.
 */
export function bridgePrefix(socatPath: string): string[] {
  const port = SANDBOX_PROXY_PORT.toString(16).toUpperCase().padStart(4, '0');
  const script = [
    `${shellQuote(socatPath)} TCP-LISTEN:${SANDBOX_PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${SANDBOX_PROXY_SOCKET} </dev/null >/dev/null 2>&1 &`,
    `i=0; while ! grep -q ':${port} 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.01; done`,
    'exec "$@"',
  ].join('\n');
  return ['/bin/sh', '-c', script, 'sylk-bridge'];
}

/** Environment for a command whose only network is the proxy bridge. */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    NO_PROXY: 'localhost,127.0.0.1',
    no_proxy: 'localhost,127.0.0.1',
  };
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
