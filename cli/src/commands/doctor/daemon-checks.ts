/** Checks answered by the running sylkd: itself, its databases, the sandbox, keys, providers, the disk quota. */
import { statfsSync } from 'node:fs';
import { resolveDirs } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { CredentialService } from '@sylk/proto/security';
import { fetchSandboxStatus } from '../sandbox.js';
import { result, type Check, type CheckResult } from './types.js';

const needsDaemon = (name: string): CheckResult => result(name, 'skip', 'needs the daemon');

export const daemonCheck: Check = async ({ conn, connectError }) => {
  if (conn === undefined)
    return result('daemon', 'fail', connectError, 'sylk daemon start  (`sylk daemon logs` shows why it stopped)');
  const hello = await conn.hello();
  return result('daemon', 'ok', `sylkd ${hello.daemonVersion} running (pid ${hello.pid}, ${conn.socket})`);
};

function ago(unixMs: bigint): string {
  return unixMs === 0n ? 'never' : new Date(Number(unixMs)).toISOString();
}

export const storageCheck: Check = async ({ conn, checkStorage }) => {
  if (conn === undefined) return needsDaemon('storage');
  if (checkStorage) {
    const { databases } = await conn.daemon.checkStorage({ full: true }, { timeoutMs: 600_000 });
    const damaged = databases.filter((d) => d.problems.length > 0);
    if (damaged.length === 0)
      return result('storage', 'ok', `integrity_check passed for ${databases.length} database(s)`);
    return result(
      'storage',
      'fail',
      damaged.map((d) => `${d.database}: ${d.problems.slice(0, 2).join('; ')}`).join(' | '),
      damaged[0]?.action ?? '',
    );
  }
  const s = (await conn.daemon.status({}, { timeoutMs: 5_000 })).storage;
  if (s === undefined) return result('storage', 'skip', 'the daemon reports no storage state');
  const when = `last backup ${ago(s.lastBackupUnixMs)}, last check ${ago(s.lastCheckUnixMs)}`;
  if (s.integrity === 'damaged')
    return result(
      'storage',
      'fail',
      `${s.problems.join(' | ')} (${when})`,
      'sylk daemon restart  (restores the newest good backup; `sylk backup --list` shows them)',
    );
  if (s.integrity === 'restored')
    return result('storage', 'warn', `${s.restores.join(' | ')} (${when})`, 'sylk doctor --check-storage');
  if (s.lastBackupUnixMs === 0n)
    return result('storage', 'warn', `${s.integrity}; no backup taken by this daemon yet (${when})`, 'sylk backup');
  return result('storage', 'ok', `${s.integrity} (${when}; backups in ${s.backupDir})`);
};

export const sandboxCheck: Check = async ({ conn }) => {
  if (conn === undefined) return needsDaemon('sandbox');
  const s = await fetchSandboxStatus(conn, '');
  if (s.mode === 'enforced') return result('sandbox', 'ok', `${s.backend}: every command runs sandboxed`);
  if (s.mode === 'disabled')
    return result(
      'sandbox',
      'warn',
      'disabled in config: commands run unsandboxed',
      'sylk config unset security.sandbox.enabled',
    );
  const effect =
    s.mode === 'refusing' ? 'commands are refused: security.sandbox.required is true' : 'commands run unsandboxed';
  return result('sandbox', s.mode === 'refusing' ? 'fail' : 'warn', `${s.reason} (${effect})`, s.fix);
};

const formatBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;

/**
 * Free space where Sylk keeps its data against what its disk quota still allows it to write:
 * when the filesystem has less, the disk fills before the quota can do its job.
 */
export const diskCheck: Check = async ({ conn, env }) => {
  const data = resolveDirs(env).data;
  let free: number;
  try {
    const s = statfsSync(data);
    free = Number(s.bavail) * Number(s.bsize);
  } catch (err) {
    return result('disk', 'warn', `cannot read the free space of ${data}: ${(err as Error).message}`, `df -h ${data}`);
  }
  if (conn === undefined) return result('disk', 'ok', `${formatBytes(free)} free on ${data} (quota: needs the daemon)`);
  const p = (await conn.daemon.top({}, { timeoutMs: 5_000, metadata: conn.metadata })).pressure;
  if (p === undefined) return result('disk', 'ok', `${formatBytes(free)} free on ${data}`);
  const used = Number(p.diskUsedBytes);
  const quota = Number(p.diskQuotaBytes);
  const usage = `Sylk's data uses ${formatBytes(used)} of its ${formatBytes(quota)} quota; ${formatBytes(free)} free on ${data}`;
  const raise = `sylk rm <session> for sessions you no longer need, or raise it: sylk config set resources.disk.quota_mb ${Math.ceil((quota * 2) / 2 ** 20)}`;
  if (p.diskLevel === 'full') return result('disk', 'fail', `quota full, new pipelines are refused: ${usage}`, raise);
  if (free < quota - used)
    return result(
      'disk',
      'warn',
      `the disk fills before the quota does: ${usage}`,
      `free space on the filesystem of ${data} (\`du -sh ${data}/*\`), or lower the quota: sylk config set resources.disk.quota_mb ${Math.max(1, Math.floor((used + free / 2) / 2 ** 20))}`,
    );
  if (p.diskLevel !== 'ok') return result('disk', 'warn', `quota ${p.diskLevel}: ${usage}`, raise);
  return result('disk', 'ok', usage);
};

const credentials = (ctx: Parameters<Check>[0]) =>
  ctx.conn === undefined ? undefined : { client: createClient(CredentialService, ctx.conn.channel), conn: ctx.conn };

/** The keychain sylkd stores keys in, and for which providers a key is in effect (never the key). */
export const keyStoreCheck: Check = async (ctx) => {
  const c = credentials(ctx);
  if (c === undefined) return localKeychainCheck(ctx);
  const s = await c.client.credentialStatus({ profile: ctx.profile }, { timeoutMs: 10_000, metadata: c.conn.metadata });
  const flag = ctx.profile ? ` --profile ${ctx.profile}` : '';
  const withKey = s.credentials.filter((k) => k.source !== 'none').map((k) => `${k.provider} (${k.source})`);
  const keys = withKey.length > 0 ? `keys for ${withKey.join(', ')}` : 'no key stored';
  const problem = s.credentials.find((k) => k.problem !== '');
  if (problem !== undefined)
    return result(
      'keys',
      'warn',
      `${problem.provider}: ${problem.problem}; ${keys} (profile ${s.profile})`,
      `sylk${flag} auth login ${problem.provider}`,
    );
  if (withKey.length === 0)
    return result(
      'keys',
      'warn',
      `no provider key in the environment, the keychain or ${s.filePath} (profile ${s.profile}); keychain: ${s.keychain}`,
      `sylk${flag} auth login anthropic  (or openai, google)`,
    );
  if (s.keychain.startsWith('unavailable'))
    return result(
      'keys',
      'warn',
      `keychain ${s.keychain}: keys go to the encrypted file ${s.filePath}; ${keys} (profile ${s.profile})`,
      ctx.platform === 'linux'
        ? 'run inside a desktop session, or start one: dbus-run-session -- sh -c "gnome-keyring-daemon --unlock && sylk daemon restart"'
        : '',
    );
  return result('keys', 'ok', `${keys} (profile ${s.profile}; keychain: ${s.keychain})`);
};

/** Without a daemon: whether a keychain could be reached at all. */
async function localKeychainCheck(ctx: Parameters<Check>[0]): Promise<CheckResult> {
  if (ctx.platform === 'darwin') return result('keys', 'ok', 'macOS Keychain (stored keys: needs the daemon)');
  if (ctx.platform !== 'linux') return result('keys', 'skip', `not checked on ${ctx.platform}`);
  return ctx.env.DBUS_SESSION_BUS_ADDRESS
    ? result('keys', 'ok', 'a D-Bus session bus is present (Secret Service); stored keys: needs the daemon')
    : result(
        'keys',
        'warn',
        'no D-Bus session bus: keys fall back to the encrypted file',
        'run inside a desktop session, or start one: dbus-run-session -- sh -c "gnome-keyring-daemon --unlock && sylk daemon restart"',
      );
}

/** Each enabled provider with a key: reachable at its base URL and the key accepted (sylkd makes the call). */
export const providersCheck: Check = async (ctx) => {
  if (ctx.offline) return result('providers', 'skip', '--offline: not contacted');
  const c = credentials(ctx);
  if (c === undefined) return needsDaemon('providers');
  const { checks } = await c.client.verifyCredentials(
    { profile: ctx.profile },
    { timeoutMs: 30_000, metadata: c.conn.metadata },
  );
  const withKey = checks.filter((k) => k.outcome !== 'no_key');
  if (withKey.length === 0)
    return result('providers', 'skip', `no enabled provider has a key (${checks.map((k) => k.provider).join(', ')})`);
  return withKey.map((k) =>
    k.outcome === 'ok'
      ? result(`provider ${k.provider}`, 'ok', `${k.detail} (key from ${k.source})`)
      : result(`provider ${k.provider}`, 'fail', `${k.detail} (key from ${k.source})`, k.fix),
  );
};
