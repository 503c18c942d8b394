import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SandboxProbe } from './types.js';

/** Runs a program and reports its exit code and stderr (injected so the diagnosis is testable). */
export type ProcessRunner = (file: string, args: readonly string[]) => Promise<{ code: number | null; stderr: string }>;

export interface ProbeDeps {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  run: ProcessRunner;
  /** Absolute path of an executable on PATH, or undefined. */
  which: (name: string) => string | undefined;
  /** Contents of a small file such as /proc/sys/kernel/…, or undefined when unreadable. */
  readFile: (path: string) => string | undefined;
  uid: number;
}

/** @internal exported for tests */
export const INSTALL_BWRAP_FIX =
  'install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap, pacman -S bubblewrap)';

/**
 * Decide whether commands can be sandboxed on this machine, and if not why and how to fix it.
 * @internal exported for tests
 */
export async function probeSandbox(deps: ProbeDeps): Promise<SandboxProbe> {
  const runningAsRoot = deps.uid === 0;
  if (deps.platform === 'darwin') {
    const sandboxExec = deps.which('sandbox-exec');
    return sandboxExec === undefined
      ? {
          available: false,
          backend: 'none',
          reason: 'sandbox-exec (Seatbelt) was not found on PATH',
          fix: 'make sure /usr/bin is on PATH for sylkd',
          runningAsRoot,
        }
      : { available: true, backend: 'seatbelt', reason: '', fix: '', runningAsRoot };
  }
  if (deps.platform !== 'linux') {
    return {
      available: false,
      backend: 'none',
      reason: `no OS sandbox is implemented for ${deps.platform}`,
      fix: 'run Sylk on Linux or macOS, or set security.sandbox.required: false to run commands unsandboxed',
      runningAsRoot,
    };
  }
  const socatPath = deps.which('socat');
  const prlimitPath = deps.which('prlimit');
  const helpers = { ...(socatPath ? { socatPath } : {}), ...(prlimitPath ? { prlimitPath } : {}), runningAsRoot };
  const bwrapPath = deps.which('bwrap');
  if (bwrapPath === undefined) {
    return {
      available: false,
      backend: 'none',
      reason: 'bubblewrap (bwrap) is not installed',
      fix: INSTALL_BWRAP_FIX,
      ...helpers,
    };
  }
  const trial = await deps.run(bwrapPath, [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--ro-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    'true',
  ]);
  if (trial.code === 0) return { available: true, backend: 'bubblewrap', reason: '', fix: '', bwrapPath, ...helpers };
  const diagnosis = diagnoseBwrapFailure(trial.stderr, deps);
  return { available: false, backend: 'none', ...diagnosis, bwrapPath, ...helpers };
}

/** Why a trial `bwrap … true` failed, from its stderr and the kernel's user-namespace settings. */
function diagnoseBwrapFailure(stderr: string, deps: Pick<ProbeDeps, 'readFile'>): { reason: string; fix: string } {
  const detail = stderr.trim().split('\n').slice(-1)[0] ?? '';
  const read = (path: string) => deps.readFile(path)?.trim();
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return {
      reason: `unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)${detail ? `: ${detail}` : ''}`,
      fix: "sudo sysctl -w kernel.unprivileged_userns_clone=1 && echo 'kernel.unprivileged_userns_clone=1' | sudo tee /etc/sysctl.d/60-sylk-userns.conf",
    };
  }
  if (read('/proc/sys/user/max_user_namespaces') === '0') {
    return {
      reason: `user namespaces are disabled (user.max_user_namespaces = 0)${detail ? `: ${detail}` : ''}`,
      fix: "sudo sysctl -w user.max_user_namespaces=28633 && echo 'user.max_user_namespaces=28633' | sudo tee /etc/sysctl.d/60-sylk-userns.conf",
    };
  }
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return {
      reason: `AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 24.04+)${detail ? `: ${detail}` : ''}`,
      fix: [
        'allow bwrap its user namespaces with an AppArmor profile:',
        "printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\n" +
          "profile bwrap /usr/bin/bwrap flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/bwrap",
        '&& sudo apparmor_parser -r /etc/apparmor.d/bwrap',
        '(or, system-wide: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)',
      ].join(' '),
    };
  }
  return {
    reason: `bubblewrap cannot create a sandbox here${detail ? `: ${detail}` : ''}`,
    fix:
      'check that user namespaces are allowed (in a container: ' +
      'run it with --privileged or a seccomp profile that allows unshare/clone of namespaces), ' +
      'then run `sylk doctor` again',
  };
}

/** The real process, PATH and files. */
export function systemProbeDeps(env: Readonly<Record<string, string | undefined>>): ProbeDeps {
  return {
    platform: process.platform,
    env,
    uid: typeof process.getuid === 'function' ? process.getuid() : -1,
    which: (name) => findOnPath(name, env.PATH ?? '/usr/local/bin:/usr/bin:/bin'),
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    run: (file, args) =>
      new Promise((resolve) => {
        const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
        child.on('error', (err) => resolve({ code: null, stderr: err.message }));
        child.on('close', (code) => resolve({ code, stderr }));
      }),
  };
}

function findOnPath(name: string, pathValue: string): string | undefined {
  // Standard locations last, so a daemon started with a bare PATH still finds system tools.
  for (const dir of [...pathValue.split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/usr/local/bin']) {
    if (!dir.startsWith('/')) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Probe once per process (a trial sandbox costs a few ms); `refresh` probes again (doctor). */
export class CachedProbe {
  private result: Promise<SandboxProbe> | undefined;
  constructor(private readonly deps: ProbeDeps) {}

  get(refresh = false): Promise<SandboxProbe> {
    if (refresh || this.result === undefined) this.result = probeSandbox(this.deps);
    return this.result;
  }
}
