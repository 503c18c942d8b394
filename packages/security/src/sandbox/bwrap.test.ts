import { describe, expect, it } from 'vitest';
import {
  buildBwrapPlan,
  bridgePrefix,
  limitPrefix,
  proxyEnv,
  type BwrapPlanInput,
  type FsView,
  type PathKind,
} from './bwrap.js';
import { secretPaths } from './paths.js';

const HOME = '/home/u';

/** A fake filesystem: merged /usr, a project in $HOME with .git and .sylk, toolchains. */
function fakeFs(extra: Record<string, PathKind> = {}, links: Record<string, string> = {}): FsView {
  const kinds: Record<string, PathKind> = {
    '/usr': 'dir',
    '/bin': 'symlink',
    '/lib': 'symlink',
    '/lib64': 'symlink',
    '/sbin': 'symlink',
    '/etc': 'dir',
    '/opt': 'dir',
    '/etc/shadow': 'file',
    [`${HOME}/proj`]: 'dir',
    [`${HOME}/proj/.git`]: 'dir',
    [`${HOME}/proj/.sylk`]: 'dir',
    [`${HOME}/.cargo`]: 'dir',
    [`${HOME}/.cargo/bin`]: 'dir',
    [`${HOME}/.cargo/credentials.toml`]: 'file',
    [`${HOME}/.rustup`]: 'dir',
    [`${HOME}/.nvm`]: 'dir',
    [`${HOME}/.local/bin`]: 'dir',
    [`${HOME}/.npm`]: 'dir',
    [`${HOME}/.ssh`]: 'dir',
    '/tmp/stage': 'dir',
    ...extra,
  };
  return { kind: (p) => kinds[p] ?? 'missing', readlink: (p) => `usr${p}`, realpath: (p) => links[p] ?? p };
}

function input(over: Partial<BwrapPlanInput> = {}): BwrapPlanInput {
  return {
    homeDir: HOME,
    cwd: `${HOME}/proj`,
    writableRoots: [`${HOME}/proj`, '/tmp/stage'],
    readOnlyPaths: [],
    writablePaths: [],
    pathEntries: [`${HOME}/.cargo/bin`, `${HOME}/.nvm/versions/node/v20/bin`, `${HOME}/.local/bin`, '/usr/bin'],
    secrets: secretPaths(HOME, ['/home/u/.local/state/sylk']),
    runningAsRoot: false,
    fs: fakeFs(),
    ...over,
  };
}

/** Pairs like ['--ro-bind', src, dst] found in the args, in order. */
function ops(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--ro-bind' || a === '--bind' || a === '--symlink') {
      out.push(`${a} ${args[i + 2]}`);
      i += 2;
    } else if (a === '--tmpfs' || a === '--proc' || a === '--dev' || a === '--chdir' || a === '--dir') {
      out.push(`${a} ${args[i + 1]}`);
      i += 1;
    }
  }
  return out;
}

describe('buildBwrapPlan', () => {
  it('unshares every namespace, dies with its parent and starts a new session', () => {
    const { args } = buildBwrapPlan(input());
    expect(args.slice(0, 3)).toEqual(['--unshare-all', '--die-with-parent', '--new-session']);
    expect(args).not.toContain('--cap-drop');
    expect(buildBwrapPlan(input({ runningAsRoot: true })).args.slice(3, 5)).toEqual(['--cap-drop', 'ALL']);
  });

  it('mounts system paths read-only (symlinks kept), fresh /proc, minimal /dev, private /tmp, empty home — before any bind', () => {
    const o = ops(buildBwrapPlan(input()).args);
    expect(o.slice(0, 11)).toEqual([
      '--ro-bind /usr',
      '--symlink /bin',
      '--symlink /sbin',
      '--symlink /lib',
      '--symlink /lib64',
      '--ro-bind /etc',
      '--ro-bind /opt',
      '--proc /proc',
      '--dev /dev',
      '--tmpfs /tmp',
      `--tmpfs ${HOME}`,
    ]);
    expect(buildBwrapPlan(input()).args).toContain('usr/bin');
  });

  it('binds toolchain roots read-only, the writable roots read-write, then re-binds .git and .sylk read-only on top', () => {
    const o = ops(buildBwrapPlan(input()).args);
    const at = (op: string) => o.indexOf(op);
    expect(at(`--ro-bind ${HOME}/.cargo`)).toBeGreaterThan(at(`--tmpfs ${HOME}`));
    expect(at(`--ro-bind ${HOME}/.rustup`)).toBeGreaterThan(0);
    expect(at(`--ro-bind ${HOME}/.nvm`)).toBeGreaterThan(0);
    // A shared directory: only the PATH entry, never all of ~/.local (keyrings live there).
    expect(at(`--ro-bind ${HOME}/.local/bin`)).toBeGreaterThan(0);
    expect(o).not.toContain(`--ro-bind ${HOME}/.local`);
    expect(at(`--bind ${HOME}/proj`)).toBeGreaterThan(at(`--tmpfs ${HOME}`));
    expect(at('--bind /tmp/stage')).toBeGreaterThan(at('--tmpfs /tmp'));
    expect(at(`--ro-bind ${HOME}/proj/.git`)).toBeGreaterThan(at(`--bind ${HOME}/proj`));
    expect(at(`--ro-bind ${HOME}/proj/.sylk`)).toBeGreaterThan(at(`--bind ${HOME}/proj`));
    // Secrets inside a bound toolchain root are masked after it.
    expect(at(`--ro-bind ${HOME}/.cargo/credentials.toml`)).toBeGreaterThan(at(`--ro-bind ${HOME}/.cargo`));
    expect(o.at(-1)).toBe(`--chdir ${HOME}/proj`);
  });

  it('never mounts secrets: configured paths that are, contain or lie inside one are refused with a warning', () => {
    const plan = buildBwrapPlan(
      input({
        readOnlyPaths: [`${HOME}/.ssh`, HOME, `${HOME}/.aws/config`],
        writablePaths: [`${HOME}/.npm`, `${HOME}/.local/state/sylk/x`],
      }),
    );
    const o = ops(plan.args);
    expect(o).toContain(`--bind ${HOME}/.npm`);
    expect(
      o.filter(
        (x) => x.includes('.ssh') || x.includes('.aws') || x.includes('state/sylk') || x === `--ro-bind ${HOME}`,
      ),
    ).toEqual([]);
    expect(plan.warnings).toHaveLength(4);
    expect(plan.warnings[0]).toContain(`${HOME}/.ssh`);
  });

  it('masks secrets inside a writable root (a project that is $HOME) and root-only system files', () => {
    const fs = fakeFs({ [HOME]: 'dir' });
    const o = ops(buildBwrapPlan(input({ writableRoots: [HOME], cwd: HOME, fs, runningAsRoot: true })).args);
    expect(o).toContain(`--bind ${HOME}`);
    expect(o).toContain(`--tmpfs ${HOME}/.ssh`);
    expect(o.indexOf(`--tmpfs ${HOME}/.ssh`)).toBeGreaterThan(o.indexOf(`--bind ${HOME}`));
    expect(o).toContain('--ro-bind /etc/shadow');
  });

  it('keeps a project under /tmp working: the /tmp tmpfs first, the project bind after', () => {
    const fs = fakeFs({ '/tmp/p': 'dir', '/tmp/p/.git': 'file' });
    const o = ops(buildBwrapPlan(input({ writableRoots: ['/tmp/p'], cwd: '/tmp/p', fs })).args);
    expect(o.indexOf('--bind /tmp/p')).toBeGreaterThan(o.indexOf('--tmpfs /tmp'));
    // A gitfile (worktree) is protected as well.
    expect(o.indexOf('--ro-bind /tmp/p/.git')).toBeGreaterThan(o.indexOf('--bind /tmp/p'));
  });

  it('protects shell start-up files inside writable paths and hides protected symlinks', () => {
    const fs = fakeFs({ [`${HOME}/dots`]: 'dir', [`${HOME}/dots/.bashrc`]: 'file', [`${HOME}/proj/.sylk`]: 'symlink' });
    const plan = buildBwrapPlan(input({ writablePaths: [`${HOME}/dots`], fs }));
    expect(ops(plan.args)).toContain(`--ro-bind ${HOME}/dots/.bashrc`);
    expect(plan.mounts).toContainEqual({ mode: 'hidden', path: `${HOME}/proj/.sylk`, note: 'protected symlink' });
  });

  it('binds a symlinked project at its real path, and never a link into a secret', () => {
    const fs = fakeFs(
      { '/w/link': 'symlink', '/w/real': 'dir', [`${HOME}/innocent`]: 'symlink' },
      { '/w/link': '/w/real', [`${HOME}/innocent`]: `${HOME}/.ssh` },
    );
    const plan = buildBwrapPlan(
      input({ writableRoots: ['/w/link'], cwd: '/w/real', readOnlyPaths: [`${HOME}/innocent`], fs }),
    );
    expect(ops(plan.args)).toContain('--bind /w/real');
    expect(ops(plan.args).filter((o) => o.includes('.ssh') || o.includes('innocent'))).toEqual([]);
  });

  it('binds the proxy socket into the sandbox when given', () => {
    const plan = buildBwrapPlan(input({ proxySocketPath: '/run/user/1/sylk/proxy-s1.sock' }));
    const i = plan.args.indexOf('/run/user/1/sylk/proxy-s1.sock');
    expect(plan.args.slice(i - 1, i + 2)).toEqual(['--bind', '/run/user/1/sylk/proxy-s1.sock', '/run/sylk/proxy.sock']);
    expect(buildBwrapPlan(input()).args).not.toContain('/run/sylk/proxy.sock');
  });
});

describe('limitPrefix', () => {
  it('uses prlimit with RLIMIT_DATA for memory; 0 means no limit', () => {
    expect(
      limitPrefix({ cpuSeconds: 600, memoryMb: 4096, openFiles: 1024, processes: 256 }, '/usr/bin/prlimit'),
    ).toEqual(['/usr/bin/prlimit', '--cpu=600', `--data=${4096 * 1024 * 1024}`, '--nofile=1024', '--nproc=256', '--']);
    expect(limitPrefix({ cpuSeconds: 0, memoryMb: 0, openFiles: 0, processes: 0 }, '/usr/bin/prlimit')).toEqual([]);
  });

  it('falls back to ulimit in sh, one option per call', () => {
    const [sh, c, script] = limitPrefix({ cpuSeconds: 5, memoryMb: 1, openFiles: 0, processes: 9 }, undefined);
    expect([sh, c]).toEqual(['/bin/sh', '-c']);
    expect(script).toBe('ulimit -t 5; ulimit -d 1024; { ulimit -p 9 || ulimit -u 9; } 2>/dev/null; exec "$@"');
  });
});

describe('network bridge', () => {
  it('starts socat on 127.0.0.1:3128 to the bound socket and waits for it to listen', () => {
    const [, , script] = bridgePrefix('/usr/bin/socat');
    expect(script).toContain(
      '/usr/bin/socat TCP-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:/run/sylk/proxy.sock',
    );
    expect(script).toContain(":0C38 00000000:0000 0A' /proc/net/tcp");
    expect(script?.endsWith('exec "$@"')).toBe(true);
  });

  it('points the proxy variables at the bridge and keeps localhost direct', () => {
    expect(proxyEnv()).toMatchObject({
      HTTPS_PROXY: 'http://127.0.0.1:3128',
      http_proxy: 'http://127.0.0.1:3128',
      NO_PROXY: 'localhost,127.0.0.1',
    });
    expect(proxyEnv()).not.toHaveProperty('ALL_PROXY');
  });
});
