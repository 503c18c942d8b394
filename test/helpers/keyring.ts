/**
 * A private, real Secret Service for keychain tests: a session D-Bus of the test's own and
 * gnome-keyring-daemon (secrets component, unlocked with a throwaway password) on it, its
 * keyrings under the test's HOME. Nothing touches the developer's own session or keyring.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { waitFor } from './sylk.js';

const BINARIES = ['dbus-daemon', 'gnome-keyring-daemon', 'dbus-send'];

/** Binaries missing on this machine (empty = the keychain path can be tested). */
export function missingSecretServiceBinaries(): string[] {
  return BINARIES.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
}

export interface SecretService {
  /** What a process needs in its environment to reach this Secret Service. */
  env: { DBUS_SESSION_BUS_ADDRESS: string };
  stop(): Promise<void>;
}

function firstLine(child: ChildProcess, what: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no output after ${timeoutMs} ms`)), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${err.message}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
  });
}

const stopped = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => c.once('exit', () => r()));

export async function startSecretService(home: string): Promise<SecretService> {
  mkdirSync(home, { recursive: true });
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
    env: base,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const children: ChildProcess[] = [bus];
  const stop = async () => {
    for (const c of [...children].reverse()) {
      c.kill('SIGTERM');
      await stopped(c);
    }
  };
  try {
    const address = await firstLine(bus, 'dbus-daemon');
    const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(keyring);
    keyring.stdin?.end('sylk-test-keyring-password');
    await firstLine(keyring, 'gnome-keyring-daemon');
    const owned = () =>
      spawnSync(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:org.freedesktop.secrets',
        ],
        { env, encoding: 'utf8' },
      ).stdout.includes('boolean true');
    await waitFor(owned, 10_000, 'org.freedesktop.secrets on the private bus');
    return { env: { DBUS_SESSION_BUS_ADDRESS: address }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
