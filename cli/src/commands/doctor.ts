import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { EXIT } from '../exit-codes.js';
import { emit, style, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';
import { fetchSandboxStatus } from './sandbox.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it; empty when nothing. */
  fix: string;
}

interface DoctorContext {
  env: NodeJS.ProcessEnv;
  /** Undefined when the daemon could not be reached. */
  conn: DaemonConnection | undefined;
  connectError: string;
  /** `--check-storage`: run a full integrity check now instead of reporting the last one. */
  checkStorage?: boolean;
}

/** One check; add more to CHECKS (each is independent and must not throw). */
type Check = (ctx: DoctorContext) => Promise<CheckResult>;

export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of [...(env.PATH ?? '').split(delimiter), '/usr/bin', '/bin']) {
    if (!dir.startsWith('/')) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return undefined;
}

/** "git version 2.39.5" → [2, 39, 5]. */
export function parseGitVersion(text: string): [number, number, number] | undefined {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const daemonCheck: Check = async ({ conn, connectError }) => {
  if (conn === undefined)
    return {
      name: 'daemon',
      status: 'fail',
      detail: connectError,
      fix: 'start it with `sylk daemon start`; `sylk daemon logs` shows why it stopped',
    };
  const hello = await conn.hello();
  return {
    name: 'daemon',
    status: 'ok',
    detail: `sylkd ${hello.daemonVersion} running (pid ${hello.pid}, ${conn.socket})`,
    fix: '',
  };
};

const sandboxCheck: Check = async ({ conn }) => {
  if (conn === undefined) return { name: 'sandbox', status: 'skip', detail: 'needs the daemon', fix: '' };
  const s = await fetchSandboxStatus(conn, '');
  if (s.mode === 'enforced')
    return { name: 'sandbox', status: 'ok', detail: `${s.backend}: every command runs sandboxed`, fix: '' };
  if (s.mode === 'disabled')
    return {
      name: 'sandbox',
      status: 'warn',
      detail: 'disabled in config: commands run unsandboxed',
      fix: 'remove security.sandbox.enabled: false',
    };
  return {
    name: 'sandbox',
    status: s.mode === 'refusing' ? 'fail' : 'warn',
    detail: `${s.reason} (${s.mode === 'refusing' ? 'commands are refused: security.sandbox.required is true' : 'commands run unsandboxed'})`,
    fix: s.fix,
  };
};

const socatCheck: Check = async ({ env }) => {
  const path = onPath('socat', env);
  return path
    ? { name: 'socat', status: 'ok', detail: `${path}: sandboxed commands reach the network proxy`, fix: '' }
    : {
        name: 'socat',
        status: 'warn',
        detail: 'not installed: sandboxed commands get no network at all',
        fix: "apt-get install socat (or your distribution's socat package)",
      };
};

const gitCheck: Check = async ({ env }) => {
  const git = onPath('git', env);
  if (git === undefined)
    return { name: 'git', status: 'warn', detail: 'not installed', fix: 'install git 2.31 or newer' };
  const text = await new Promise<string>((resolve) =>
    execFile(git, ['--version'], { timeout: 5_000 }, (_err, stdout) => resolve(String(stdout))),
  );
  const v = parseGitVersion(text);
  if (v === undefined) return { name: 'git', status: 'warn', detail: `cannot read the version of ${git}`, fix: '' };
  const ok = v[0] > 2 || (v[0] === 2 && v[1] >= 31);
  return ok
    ? { name: 'git', status: 'ok', detail: `${v.join('.')}: config hardening through GIT_CONFIG_* applies`, fix: '' }
    : {
        name: 'git',
        status: 'warn',
        detail: `${v.join('.')} ignores GIT_CONFIG_COUNT, so repository config could name programs git runs outside the sandbox`,
        fix: 'upgrade git to 2.31 or newer',
      };
};

const keychainCheck: Check = async ({ env }) => {
  if (process.platform === 'darwin') {
    return onPath('security', env)
      ? { name: 'keychain', status: 'ok', detail: 'macOS Keychain', fix: '' }
      : { name: 'keychain', status: 'warn', detail: 'the security tool is missing', fix: '' };
  }
  if (process.platform !== 'linux')
    return { name: 'keychain', status: 'skip', detail: `not checked on ${process.platform}`, fix: '' };
  return env.DBUS_SESSION_BUS_ADDRESS
    ? { name: 'keychain', status: 'ok', detail: 'a D-Bus session bus is present (Secret Service)', fix: '' }
    : {
        name: 'keychain',
        status: 'warn',
        detail: 'no D-Bus session bus: keys fall back to the encrypted file',
        fix: 'run inside a desktop session, or start one with dbus-run-session and gnome-keyring',
      };
};

function ago(unixMs: bigint): string {
  return unixMs === 0n ? 'never' : new Date(Number(unixMs)).toISOString();
}

const storageCheck: Check = async ({ conn, checkStorage }) => {
  if (conn === undefined) return { name: 'storage', status: 'skip', detail: 'needs the daemon', fix: '' };
  if (checkStorage) {
    const { databases } = await conn.daemon.checkStorage({ full: true }, { timeoutMs: 600_000 });
    const damaged = databases.filter((d) => d.problems.length > 0);
    if (damaged.length === 0)
      return {
        name: 'storage',
        status: 'ok',
        detail: `integrity_check passed for ${databases.length} database(s)`,
        fix: '',
      };
    return {
      name: 'storage',
      status: 'fail',
      detail: damaged.map((d) => `${d.database}: ${d.problems.slice(0, 2).join('; ')}`).join(' | '),
      fix: damaged[0]?.action ?? '',
    };
  }
  const s = (await conn.daemon.status({}, { timeoutMs: 5_000 })).storage;
  if (s === undefined)
    return { name: 'storage', status: 'skip', detail: 'the daemon reports no storage state', fix: '' };
  const when = `last backup ${ago(s.lastBackupUnixMs)}, last check ${ago(s.lastCheckUnixMs)}`;
  if (s.integrity === 'damaged')
    return {
      name: 'storage',
      status: 'fail',
      detail: `${s.problems.join(' | ')} (${when})`,
      fix: '`sylk daemon restart` restores the newest good backup; `sylk backup --list` shows them',
    };
  if (s.integrity === 'restored')
    return { name: 'storage', status: 'warn', detail: `${s.restores.join(' | ')} (${when})`, fix: '' };
  if (s.lastBackupUnixMs === 0n)
    return {
      name: 'storage',
      status: 'warn',
      detail: `${s.integrity}; no backup taken by this daemon yet (${when})`,
      fix: '`sylk backup` takes one now',
    };
  return { name: 'storage', status: 'ok', detail: `${s.integrity} (${when}; backups in ${s.backupDir})`, fix: '' };
};

export const CHECKS: readonly Check[] = [daemonCheck, storageCheck, sandboxCheck, socatCheck, gitCheck, keychainCheck];

export async function runChecks(ctx: DoctorContext, checks: readonly Check[] = CHECKS): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(await check(ctx));
    } catch (err) {
      results.push({ name: check.name.replace(/Check$/, ''), status: 'fail', detail: (err as Error).message, fix: '' });
    }
  }
  return results;
}

function render(results: CheckResult[], st: Style): string {
  const mark: Record<CheckStatus, string> = {
    ok: st.green('✓'),
    warn: st.yellow('!'),
    fail: st.red('✗'),
    skip: st.dim('-'),
  };
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${mark[r.status]} ${r.name.padEnd(9)} ${r.detail}`);
    if (r.fix) lines.push(`  ${' '.repeat(9)} ${st.dim('fix:')} ${r.fix}`);
  }
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command, rt: Runtime): void {
  program
    .command('doctor')
    .description(
      'check what Sylk needs: the daemon, its databases and backups, the OS sandbox, socat, git, the keychain',
    )
    .option('--check-storage', 'run a full integrity check of every database now')
    .action(async (o: { checkStorage?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      let conn: DaemonConnection | undefined;
      let connectError = '';
      try {
        conn = await connectDaemon(opts, rt.env);
      } catch (err) {
        connectError = (err as Error).message;
      }
      try {
        const results = await runChecks({ env: rt.env, conn, connectError, checkStorage: o.checkStorage === true });
        const ok = results.every((r) => r.status !== 'fail');
        emit(opts, { ok, checks: results }, () => render(results, style(rt.color(opts))));
        if (!ok) rt.exitCode = EXIT.failure;
      } finally {
        conn?.close();
      }
    });
}
