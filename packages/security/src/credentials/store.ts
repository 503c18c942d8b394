/**
 * Provider keys by profile: resolved environment variable → system keychain → encrypted file,
 * stored in the keychain when it works and in the file otherwise. Values never leave through
 * logs, errors or audit records; only `resolve` returns one, to the code that calls the provider.
 */
import { ErrorTier, SylkError, isSylkError, type Clock, type Logger } from '@sylk/core';
import { nullAuditSink, type AuditSink } from '../audit/types.js';
import type { EncryptedCredentialFile, SecretMap } from './file-store.js';
import type { Keychain } from './keychain.js';
import { CredentialMetaFile, type CredentialMeta } from './meta.js';

export const DEFAULT_PROFILE = 'default';
const PROFILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A keychain that failed is tried again after this long (it may have been unlocked). */
const KEYCHAIN_RETRY_MS = 60_000;
/** Keychain and file look-ups are cached this long; Sylk's own changes invalidate at once. */
const CACHE_MS = 30_000;

export function checkProfile(profile: string): string {
  if (!PROFILE.test(profile)) {
    throw new SylkError(`invalid profile name '${profile.slice(0, 80)}'`, {
      code: 'credentials.invalid_profile',
      tier: ErrorTier.UserFixable,
      hint: 'use letters, digits, ".", "_" or "-" (at most 64), e.g. --profile work',
    });
  }
  return profile;
}

/** `…a1b2`: the last four characters of a long key, nothing of a short one. */
export function maskKey(key: string): string {
  return key.length >= 12 ? `…${key.slice(-4)}` : '…';
}

export interface ResolvedCredential {
  apiKey: string;
  /** `env NAME`, `keychain` or `file`. */
  source: string;
}

export interface CredentialStatus {
  provider: string;
  profile: string;
  /** `env NAME`, `keychain`, `file` or `none`. */
  source: string;
  masked: string;
  verifiedAt: number;
  /** Why a store could not be read (never the secret); empty otherwise. */
  problem: string;
}

export interface CredentialStoreOptions {
  /** Variables that carry a provider's key, in order (they apply to every profile). */
  envVars: (provider: string) => readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  file: EncryptedCredentialFile;
  /** JSON metadata beside the file (where stored, verified when; no secrets). */
  metaPath: string;
  /** Undefined = never use a keychain. */
  keychain: Keychain | undefined;
  /** Live config switch (`security.credentials.keychain`); default on. */
  keychainEnabled?: () => boolean;
  clock: Clock;
  logger: Logger;
  audit?: AuditSink;
  /**
   * Told every key this store resolves or stores (and forgets on removal), by owner, so the
   * process redacts it wherever text is persisted or sent (the daemon's SecretValues).
   */
  secrets?: { set(owner: string, value: string | undefined): void };
}

type KeychainState =
  { state: 'unknown' } | { state: 'available' } | { state: 'unavailable'; reason: string; at: number };

const account = (provider: string, profile: string) => `${profile}/${provider}`;

export class CredentialStore {
  private keychainState: KeychainState = { state: 'unknown' };
  private readonly cache = new Map<string, { value: ResolvedCredential | undefined; at: number }>();
  private readonly meta: CredentialMetaFile;
  private readonly listeners = new Set<(provider: string, profile: string) => void>();
  private reportedFileProblem = '';

  constructor(private readonly opts: CredentialStoreOptions) {
    this.meta = new CredentialMetaFile(opts.metaPath, opts.logger);
  }

  get filePath(): string {
    return this.opts.file.path;
  }

  /** Called after every change Sylk makes (login, logout), so cached clients can be rebuilt. */
  onChange(listener: (provider: string, profile: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `secret-service`, `off (security.credentials.keychain is false)`, `unavailable: …`. */
  keychainDescription(): string {
    const k = this.opts.keychain;
    if (k === undefined || !this.keychainOn()) return 'off (security.credentials.keychain: false)';
    const s = this.keychainState;
    if (s.state === 'unavailable') return `unavailable: ${s.reason}`;
    return s.state === 'available' ? k.backend : `${k.backend} (not used yet)`;
  }

  /** The key to call `provider` with under `profile`; undefined when none is set anywhere. */
  async resolve(provider: string, profile: string): Promise<ResolvedCredential | undefined> {
    const fromEnv = this.fromEnv(provider);
    if (fromEnv !== undefined) return fromEnv;
    const name = account(provider, checkProfile(profile));
    const hit = this.cache.get(name);
    if (hit !== undefined && this.opts.clock.now() - hit.at < CACHE_MS) return hit.value;
    const value = (await this.fromKeychain(name)) ?? (await this.fromFile(name));
    this.cache.set(name, { value, at: this.opts.clock.now() });
    this.opts.secrets?.set(`credential ${name}`, value?.apiKey);
    return value;
  }

  /** Store (or replace) a key; returns where it went. The old key is not kept anywhere. */
  async set(
    provider: string,
    profile: string,
    apiKey: string,
    verifiedAt: number,
  ): Promise<{ storedIn: 'keychain' | 'file' }> {
    const name = account(provider, checkProfile(profile));
    // Known before it is written anywhere, so nothing this call logs or reports can carry it.
    this.opts.secrets?.set(`credential ${name}`, apiKey);
    let storedIn: 'keychain' | 'file' = 'file';
    if (await this.keychainUsable()) {
      try {
        await (this.opts.keychain as Keychain).set(name, apiKey);
        this.keychainWorked();
        storedIn = 'keychain';
      } catch (err) {
        this.keychainFailed(err);
      }
    }
    if (storedIn === 'keychain') await this.dropFromFile(name);
    else await this.writeToFile(name, apiKey);
    this.meta.update(name, { storedIn, storedAt: this.opts.clock.now(), verifiedAt });
    this.changed(provider, profile);
    this.audit('credential_set', name, 'ok', { storedIn, verified: verifiedAt > 0 });
    this.opts.logger.info({ provider, profile, storedIn, verified: verifiedAt > 0 }, 'credential stored');
    return { storedIn };
  }

  /** Remove a stored key from the keychain and the file; returns where it was found. */
  async remove(provider: string, profile: string): Promise<string[]> {
    const name = account(provider, checkProfile(profile));
    const removed: string[] = [];
    if (await this.keychainUsable()) {
      try {
        if (await (this.opts.keychain as Keychain).delete(name)) removed.push('keychain');
        this.keychainWorked();
      } catch (err) {
        this.keychainFailed(err);
      }
    }
    if (await this.dropFromFile(name)) removed.push('file');
    this.opts.secrets?.set(`credential ${name}`, undefined);
    this.meta.update(name, undefined);
    this.changed(provider, profile);
    this.audit('credential_removed', name, removed.length > 0 ? 'ok' : 'not_found', { removedFrom: removed.join(',') });
    this.opts.logger.info({ provider, profile, removedFrom: removed }, 'credential removed');
    return removed;
  }

  /** Where each provider's key comes from under `profile`, read fresh (the cache is refreshed). */
  async status(providers: readonly string[], profile: string): Promise<CredentialStatus[]> {
    checkProfile(profile);
    const meta = this.meta.read();
    const out: CredentialStatus[] = [];
    for (const provider of providers) {
      const name = account(provider, profile);
      this.cache.delete(name);
      const base = { provider, profile, verifiedAt: meta[name]?.verifiedAt ?? 0, problem: '' };
      try {
        const found = await this.resolve(provider, profile);
        out.push({
          ...base,
          source: found?.source ?? 'none',
          masked: found === undefined ? '' : maskKey(found.apiKey),
          ...(found?.source.startsWith('env ') ? { verifiedAt: 0 } : {}),
        });
      } catch (err) {
        out.push({
          ...base,
          source: 'none',
          masked: '',
          problem: isSylkError(err) ? `${err.message}; ${err.hint ?? ''}`.replace(/; $/, '') : 'unreadable',
        });
      }
    }
    return out;
  }

  /**
   * Where a provider's key would come from, without reading any secret or touching the keychain
   * (the environment, else the metadata of what Sylk stored): for status lines, which must stay cheap.
   */
  locate(provider: string, profile: string): string | undefined {
    const env = this.fromEnv(provider);
    if (env !== undefined) return env.source;
    const meta = this.meta.read()[account(provider, profile)];
    return meta === undefined || (meta.storedIn === 'keychain' && !this.keychainOn()) ? undefined : meta.storedIn;
  }

  /** The stored metadata of one key (no secret). */
  metaOf(provider: string, profile: string): CredentialMeta | undefined {
    return this.meta.read()[account(provider, profile)];
  }

  private fromEnv(provider: string): ResolvedCredential | undefined {
    for (const name of this.opts.envVars(provider)) {
      const value = this.opts.env[name];
      if (value !== undefined && value !== '') {
        this.opts.secrets?.set(`env ${name}`, value);
        return { apiKey: value, source: `env ${name}` };
      }
    }
    return undefined;
  }

  private async fromKeychain(name: string): Promise<ResolvedCredential | undefined> {
    if (!(await this.keychainUsable())) return undefined;
    try {
      const value = await (this.opts.keychain as Keychain).get(name);
      this.keychainWorked();
      return value === null || value === '' ? undefined : { apiKey: value, source: 'keychain' };
    } catch (err) {
      this.keychainFailed(err);
      return undefined;
    }
  }

  private async fromFile(name: string): Promise<ResolvedCredential | undefined> {
    let entries: SecretMap;
    try {
      entries = await this.opts.file.read();
    } catch (err) {
      this.reportFileProblem(err);
      throw err;
    }
    const stored = entries[name];
    return stored === undefined ? undefined : { apiKey: stored.key, source: 'file' };
  }

  private async writeToFile(name: string, apiKey: string): Promise<void> {
    let entries: SecretMap;
    try {
      entries = await this.opts.file.read();
    } catch (err) {
      if (!isSylkError(err) || err.code === 'credentials.file_unreadable') throw err;
      // Corrupt, altered or from another machine: nothing in it can be used here. Keep it, start anew.
      const aside = this.opts.file.moveAside();
      this.opts.logger.warn(
        { path: this.opts.file.path, movedTo: aside, code: err.code },
        'unreadable credentials file moved aside; starting a new one',
      );
      this.audit('credential_file_replaced', this.opts.file.path, 'moved_aside', { code: err.code });
      entries = {};
    }
    entries[name] = { key: apiKey, storedAt: this.opts.clock.now() };
    await this.opts.file.write(entries);
  }

  /** True when the file held the entry (an unreadable file is left alone). */
  private async dropFromFile(name: string): Promise<boolean> {
    let entries: SecretMap;
    try {
      entries = await this.opts.file.read();
    } catch {
      return false;
    }
    if (entries[name] === undefined) return false;
    delete entries[name];
    await this.opts.file.write(entries);
    return true;
  }

  private keychainOn(): boolean {
    return this.opts.keychainEnabled?.() ?? true;
  }

  private async keychainUsable(): Promise<boolean> {
    if (this.opts.keychain === undefined || !this.keychainOn()) return false;
    const s = this.keychainState;
    return s.state !== 'unavailable' || this.opts.clock.now() - s.at >= KEYCHAIN_RETRY_MS;
  }

  private keychainWorked(): void {
    if (this.keychainState.state !== 'available')
      this.opts.logger.info({ backend: this.opts.keychain?.backend }, 'system keychain in use for credentials');
    this.keychainState = { state: 'available' };
  }

  private keychainFailed(err: unknown): void {
    const reason = ((err as Error).message ?? String(err)).split('\n')[0]?.slice(0, 300) ?? 'error';
    // One info line when it becomes unavailable, not one per look-up.
    if (this.keychainState.state !== 'unavailable') {
      this.opts.logger.info(
        { backend: this.opts.keychain?.backend, reason, file: this.opts.file.path },
        'system keychain unavailable; credentials use the encrypted file',
      );
    }
    this.keychainState = { state: 'unavailable', reason, at: this.opts.clock.now() };
  }

  private reportFileProblem(err: unknown): void {
    const code = isSylkError(err) ? err.code : 'error';
    if (this.reportedFileProblem === code) return;
    this.reportedFileProblem = code;
    this.opts.logger.warn({ path: this.opts.file.path, code }, 'credentials file cannot be used');
    this.audit('credential_file_unreadable', this.opts.file.path, 'error', { code });
  }

  private changed(provider: string, profile: string): void {
    this.cache.delete(account(provider, profile));
    this.reportedFileProblem = '';
    for (const l of this.listeners) l(provider, profile);
  }

  private audit(action: string, target: string, outcome: string, details: Record<string, string | boolean>): void {
    (this.opts.audit ?? nullAuditSink).record({ category: 'auth', action, target, outcome, details });
  }
}
