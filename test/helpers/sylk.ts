/**
 * End-to-end harness: real `sylk` and `sylkd` processes on throwaway roots.
 * Every test gets its own SYLK_HOME (short path: Unix socket paths are limited)
 * and an environment with nothing from the developer's real home.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { afterEach } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'cli', 'bin', 'sylk.cjs');
const SYLKD = join(ROOT, 'daemon', 'dist', 'main.js');

export interface SylkHome {
  home: string;
  socket: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export function makeHome(extraEnv: Record<string, string> = {}): SylkHome {
  const home = mkdtempSync(join(tmpdir(), 'sylk-'));
  const socket = join(home, 'run', 'sylkd.sock');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(home, 'home'),
    LANG: 'C.UTF-8',
    SYLK_HOME: home,
    SYLK_SOCKET: socket,
    NO_COLOR: '1',
    ...extraEnv,
  };
  return {
    home,
    socket,
    env,
    async cleanup() {
      await killDaemonOf(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Homes for one test file, each cleaned up (daemon killed, folder removed) after every test.
 * Call at module level: `const home = useHomes();` then `home(extraEnv)` inside tests.
 */
export function useHomes(
  base: () => Record<string, string> = () => ({}),
): (extraEnv?: Record<string, string>) => SylkHome {
  let homes: SylkHome[] = [];
  afterEach(async () => {
    await Promise.all(homes.map((h) => h.cleanup()));
    homes = [];
  });
  return (extraEnv = {}) => {
    const h = makeHome({ ...base(), ...extraEnv });
    homes.push(h);
    return h;
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Written to standard input (a pipe, not a terminal), then closed; without it stdin is /dev/null. */
  input?: string;
}

export function runCli(args: string[], opts: RunOptions): Promise<RunResult> {
  return runNode([CLI, ...args], opts);
}

export function runSylkd(args: string[], opts: RunOptions): Promise<RunResult> {
  return runNode([SYLKD, ...args], opts);
}

function runNode(args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    // Default cwd outside any project, so no project config layer applies.
    const stdin = opts.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(process.execPath, args, {
      env: opts.env,
      cwd: opts.cwd ?? tmpdir(),
      stdio: [stdin, 'pipe', 'pipe'],
    });
    child.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: node ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    // 'close', not 'exit': only then has all of its output been read (under load 'exit' can come first).
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A foreground sylkd owned by the test (killed at cleanup). */
export async function startForeground(h: SylkHome): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [SYLKD, '--foreground'], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  // A socket file may be left over from a killed daemon: wait until one accepts connections.
  await waitFor(async () => child.exitCode !== null || (await accepts(h.socket)), 15_000, 'daemon socket');
  if (child.exitCode !== null) throw new Error(`sylkd exited ${child.exitCode}: ${output}`);
  return Object.assign(child, { output: () => output });
}

export function accepts(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    conn.once('connect', () => {
      conn.destroy();
      resolve(true);
    });
    conn.once('error', () => resolve(false));
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

/**
 * Pids of sylkd processes whose environment carries this SYLK_HOME (Linux /proc). A child the
 * daemon is spawning shows the daemon's command line and environment between its fork and its
 * exec: one whose parent is a daemon is not counted.
 */
export function daemonPidsOf(home: string): number[] {
  const found = new Map<number, number>(); // pid → parent pid
  for (const entry of existsSync('/proc') ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      // The daemon's entry, or its bin (what sylk starts when SYLKD_BIN is not set).
      if (!/daemon\/(dist\/main|bin\/sylkd)\.js/.test(cmdline)) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (!environ.split('\0').includes(`SYLK_HOME=${home}`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      found.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // process went away
    }
  }
  return [...found].filter(([, parent]) => !found.has(parent)).map(([pid]) => pid);
}

export async function killDaemonOf(home: string): Promise<void> {
  for (const pid of daemonPidsOf(home)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await waitFor(() => daemonPidsOf(home).length === 0, 5_000, 'daemons to die');
}

export function parseJson<T = Record<string, unknown>>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON: ${text}`);
  }
}
