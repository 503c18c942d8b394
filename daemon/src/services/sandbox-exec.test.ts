// The OS sandbox through the real executor path: real bwrap, real processes, real git.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSylkError } from '@sylk/core';
import {
  CachedProbe,
  CommandSandbox,
  DEFAULT_SANDBOX_LIMITS,
  PidsCgroups,
  systemProbeDeps,
  type SandboxLimits,
  type SandboxPolicy,
  type SandboxProbe,
} from '@sylk/security';
import { ToolExecutor, type ExecResult } from '@sylk/tools';

const linux = process.platform === 'linux';
let base: string;
let home: string;
let project: string;
let outside: string;
const probe = new CachedProbe(systemProbeDeps(process.env));
const cgroups = linux ? PidsCgroups.detect() : new PidsCgroups(undefined);

function policy(over: Partial<SandboxPolicy> = {}, limits: Partial<SandboxLimits> = {}): SandboxPolicy {
  return {
    enabled: true,
    required: true,
    readOnlyPaths: [],
    writablePaths: [],
    ...over,
    limits: { ...DEFAULT_SANDBOX_LIMITS, ...limits },
  };
}

function executor(
  p: SandboxPolicy = policy(),
  extra: {
    socket?: string;
    probe?: () => Promise<SandboxProbe>;
    onUnsandboxed?: (i: { reason: string; fix: string }) => void;
  } = {},
): ToolExecutor {
  const wrapper = new CommandSandbox({
    policy: () => p,
    probe: extra.probe ?? (() => probe.get()),
    homeDir: home,
    writableRoots: [project],
    hiddenPaths: [join(base, 'sylk-state')],
    cgroups,
    ...(extra.socket ? { network: () => ({ proxySocketPath: extra.socket }) } : {}),
    ...(extra.onUnsandboxed ? { onUnsandboxed: extra.onUnsandboxed } : {}),
  });
  return new ToolExecutor({
    roots: [project],
    baseEnv: { PATH: process.env.PATH, HOME: home, LANG: 'C', SYLK_PLANTED_SECRET: 'planted-value-123' },
    envBlocklist: ['SYLK_PLANTED_SECRET'],
    spoolDir: join(base, 'spool'),
    killWaits: { interruptMs: 300, terminateMs: 300, killMs: 1000, reapGraceMs: 50 },
    drainMs: 500,
    wrapper,
  });
}

/** Every line (head and tail overlap when the output is short). */
const text = (r: ExecResult) => {
  const { head, tail, totalLines } = r.output;
  const lines =
    head.length + tail.length <= totalLines
      ? [...head, ...tail]
      : [...head, ...tail.slice(head.length + tail.length - totalLines)];
  return lines.map((l) => l.text).join('\n');
};
const run = (command: string, ex = executor()) => ex.run(command, { cwd: project, timeoutMs: 30_000 });

/** Host pids whose parent chain reaches `root`. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  return [...parent.keys()].filter((pid) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  });
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

beforeAll(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-sbx-')));
  home = join(base, 'home');
  project = join(home, 'proj');
  outside = join(base, 'outside');
  for (const dir of [join(home, '.ssh'), project, outside, join(base, 'sylk-state')])
    mkdirSync(dir, { recursive: true });
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'PRIVATE KEY');
  writeFileSync(join(home, '.bashrc'), '# rc');
  execFileSync('git', ['init', '-q', project]);
  execFileSync('git', [
    '-C',
    project,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'init',
  ]);
  mkdirSync(join(project, '.sylk'));
  writeFileSync(join(project, '.sylk', 'config.yaml'), 'x: 1\n');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe.runIf(linux)('commands in the sandbox', () => {
  it('the probe finds bubblewrap here', async () => {
    expect(await probe.get()).toMatchObject({ available: true, backend: 'bubblewrap' });
  });

  it("sees no other process: /proc is the sandbox's own and the daemon's environ is out of reach", async () => {
    const r = await run(
      `ls /proc | grep -c '^[0-9]' ; cat /proc/${process.pid}/environ; ` +
        `cat /proc/$PPID/environ | tr '\\0' '\\n' | grep -c PLANTED; ` +
        `cat /proc/1/environ | tr '\\0' '\\n' | grep -c PLANTED`,
    );
    const out = text(r);
    expect(out).not.toContain('planted-value-123');
    expect(out).toMatch(/No such file or directory/);
    const [procs] = out.split('\n');
    expect(Number(procs)).toBeLessThan(10);
  });

  it('hides $HOME and its secrets but keeps the project writable', async () => {
    const r = await run(`ls -A ~; cat ~/.ssh/id_rsa; cat ${home}/.bashrc; echo written > out.txt && cat out.txt`);
    const out = text(r);
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).not.toContain('# rc');
    expect(out).toContain('No such file or directory');
    expect(out).toContain('written');
    expect(readFileSync(join(project, 'out.txt'), 'utf8')).toBe('written\n');
  });

  it('protects .git and .sylk: writes fail with Read-only file system, reads and git status work', async () => {
    const r = await run(
      'touch .git/hooks/x; echo evil >> .git/config; echo x > .sylk/config.yaml; echo y > .git/commondir; ' +
        'git status --short --branch; git commit -q --allow-empty -m nope',
    );
    const out = text(r);
    expect(out.match(/Read-only file system/g)?.length).toBeGreaterThanOrEqual(4);
    expect(out).toContain('## master');
    expect(existsSync(join(project, '.git', 'hooks', 'x'))).toBe(false);
    expect(existsSync(join(project, '.git', 'commondir'))).toBe(false);
    expect(readFileSync(join(project, '.sylk', 'config.yaml'), 'utf8')).toBe('x: 1\n');
    expect(r.exitCode).not.toBe(0);
  });

  it('cannot write outside the project or to system paths', async () => {
    const r = await run(`touch ${outside}/x; touch /usr/x; touch /etc/x; ls ${base}`);
    expect(existsSync(join(outside, 'x'))).toBe(false);
    expect(text(r)).toMatch(/No such file or directory|Read-only file system/);
  });

  it('has no network at all without the proxy', async () => {
    const r = await run(
      `node -e "require('net').connect(80, '1.1.1.1').on('connect', () => console.log('CONNECTED')).on('error', (e) => console.log(e.code))"`,
    );
    expect(text(r)).toMatch(/ENETUNREACH|EHOSTUNREACH|EACCES/);
    expect(text(r)).not.toContain('CONNECTED');
  });

  it('reaches the session proxy through the socat bridge, with HTTP(S)_PROXY set', async () => {
    const socket = join(base, 'proxy.sock');
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end(`proxied ${req.url}\n`);
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const r = await run(
        `node -e "const u = new URL(process.env.HTTPS_PROXY); ` +
          `require('http').get({ host: u.hostname, port: u.port, path: 'http://registry.example/pkg', ` +
          `headers: { host: 'registry.example' } }, ` +
          `(res) => res.pipe(process.stdout))"`,
        executor(policy(), { socket }),
      );
      expect(text(r)).toContain('proxied http://registry.example/pkg');
      expect(seen).toEqual(['GET http://registry.example/pkg']);
    } finally {
      server.close();
    }
  });

  it('limits processes: a fork bomb dies alone and the next command runs', async () => {
    const ex = executor(policy({}, { processes: 64, cpuSeconds: 20 }));
    const counted = await run('for i in $(seq 150); do sleep 3 & done 2>/dev/null; ls /proc | grep -c "^[0-9]"', ex);
    expect(Number(text(counted).trim().split('\n').at(-1))).toBeLessThanOrEqual(66);
    const bomb = await ex.run("sh -c 'b(){ b | b & }; b; sleep 1; echo bomb-over'", {
      cwd: project,
      timeoutMs: 20_000,
    });
    expect(bomb.timedOut).toBe(false);
    const after = await run('echo still-fine', ex);
    expect(text(after)).toBe('still-fine');
  });

  it('limits memory: a hog fails on its own', async () => {
    const r = await run(
      `node -e "const a = []; for (;;) a.push(Buffer.alloc(16 << 20, 1))"`,
      executor(policy({}, { memoryMb: 256 })),
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.timedOut).toBe(false);
  });

  it('limits CPU seconds', async () => {
    const r = await run('while :; do :; done', executor(policy({}, { cpuSeconds: 1 })));
    expect(r.signal ?? String(r.exitCode)).toMatch(/SIGXCPU|SIGKILL|152|137/);
  });

  it('stopping a background command ends everything inside, including a child that ignores SIGTERM', async () => {
    const ex = executor();
    const bg = await ex.startBackground(
      `sh -c 'trap "" TERM INT; sh -c "trap \\"\\" TERM INT; sleep 300" & echo started; wait'`,
      { cwd: project, sessionId: 's1' },
    );
    const until = Date.now() + 5000;
    while (!bg.read().text.includes('started') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const inside = descendants(bg.pid);
    expect(inside.length).toBeGreaterThanOrEqual(3);
    await bg.stop();
    await bg.exited;
    const deadline = Date.now() + 3000;
    while (inside.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(inside.filter(alive)).toEqual([]);
  });

  it('cancelling a foreground command kills the whole sandbox', async () => {
    const ex = executor();
    const abort = new AbortController();
    const result = ex.run(`sh -c 'trap "" TERM INT; sleep 300 & echo go; wait'`, {
      cwd: project,
      signal: abort.signal,
      timeoutMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 500));
    const [running] = ex.runningTools();
    expect(running).toBeDefined();
    abort.abort();
    const r = await result;
    expect(r.partial).toBe(true);
    const left = descendants(r.pid).filter(alive);
    expect(left).toEqual([]);
  });
});

describe('when the sandbox is unavailable or off', () => {
  const missing = async (): Promise<SandboxProbe> => ({
    available: false,
    backend: 'none',
    reason: 'bubblewrap (bwrap) is not installed',
    fix: 'install bubblewrap (apt-get install bubblewrap)',
    runningAsRoot: false,
  });

  it('required: refuses the command with sandbox.unavailable naming the fix', async () => {
    const err = await executor(policy({ required: true }), { probe: missing })
      .run('echo hi', { cwd: project })
      .catch((e: unknown) => e);
    expect(isSylkError(err) && err.code).toBe('sandbox.unavailable');
    expect(isSylkError(err) && `${err.message} ${err.hint}`).toContain('apt-get install bubblewrap');
  });

  it('not required: runs unsandboxed and tells the session once', async () => {
    const notices: string[] = [];
    const ex = executor(policy({ required: false }), {
      probe: missing,
      onUnsandboxed: (i) => notices.push(`${i.reason} / ${i.fix}`),
    });
    expect(text(await run('echo one', ex))).toBe('one');
    expect(text(await run('echo two', ex))).toBe('two');
    expect(notices).toEqual(['bubblewrap (bwrap) is not installed / install bubblewrap (apt-get install bubblewrap)']);
  });

  it('disabled: runs plain, sees the real $HOME', async () => {
    const r = await run(`cat ${home}/.bashrc`, executor(policy({ enabled: false })));
    expect(text(r)).toBe('# rc');
  });
});
