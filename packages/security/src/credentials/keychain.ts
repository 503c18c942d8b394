/**
 * The system keychain through @napi-rs/keyring: Secret Service (D-Bus) on Linux, Keychain on
 * macOS, Credential Manager on Windows. On Linux the entry is pinned to the Secret Service: the
 * library's own fallback, the kernel keyring, forgets everything at reboot.
 */
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type { MachineIdentity } from './file-store.js';
import type * as KeyringModule from '@napi-rs/keyring';

/** What the credential store needs from a keychain; a fake in tests, `systemKeychain` in sylkd. */
export interface Keychain {
  /** `secret-service`, `macos-keychain`, `windows-credential-manager`. */
  readonly backend: string;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** True when something was deleted. */
  delete(account: string): Promise<boolean>;
}

let keyring: Promise<typeof KeyringModule> | undefined;

const BACKENDS: Record<string, string> = {
  linux: 'secret-service',
  darwin: 'macos-keychain',
  win32: 'windows-credential-manager',
};

/**
 * The OS keychain for one service name. The native module loads on first use. Every call may
 * throw (no D-Bus session, locked collection, no keychain on this platform); the caller decides.
 * The environment is the daemon's: on Linux the Secret Service is found through
 * DBUS_SESSION_BUS_ADDRESS (or XDG_RUNTIME_DIR/bus), which the native code reads from the process.
 */
export function systemKeychain(service: string, platform: NodeJS.Platform = process.platform): Keychain {
  const entry = async (account: string) => {
    const mod = await (keyring ??= import('@napi-rs/keyring'));
    // The constructor connects (and throws when there is no session bus).
    return new mod.AsyncEntry(
      service,
      account,
      platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined,
    );
  };
  return {
    backend: BACKENDS[platform] ?? `${platform} keychain`,
    get: async (account) => (await entry(account)).getPassword(),
    set: async (account, secret) => (await entry(account)).setPassword(secret),
    delete: async (account) => (await entry(account)).deletePassword(),
  };
}

/** The machine-bound inputs of the file key: the machine id (Linux) or host name, and the OS user. */
export function machineIdentity(
  files: readonly string[] = ['/etc/machine-id', '/var/lib/dbus/machine-id'],
): MachineIdentity {
  let machineId = '';
  for (const f of files) {
    try {
      machineId = readFileSync(f, 'utf8').trim();
    } catch {
      // next
    }
    if (machineId !== '') break;
  }
  return { machineId: machineId || `host:${hostname()}`, user: userInfo().username };
}
