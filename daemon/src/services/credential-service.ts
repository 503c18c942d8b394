/** CredentialService: `sylk auth login | status | logout`. Keys only ever travel client → daemon. */
import { join } from 'node:path';
import { ErrorTier, SylkError, type Clock, type Logger } from '@sylk/core';
import type { ConfigStore, SylkDirs } from '@sylk/config';
import type { CredentialService } from '@sylk/proto';
import { type CallContext, type ServiceImpl } from '@sylk/proto';
import {
  CredentialStore,
  DEFAULT_PROFILE,
  EncryptedCredentialFile,
  checkProfile,
  machineIdentity,
  maskKey,
  nullAuditSink,
  systemKeychain,
  type AuditSink,
} from '@sylk/security';
import type { ProviderName } from '@sylk/llm';
import { PROVIDERS, isProviderName } from '../llm/settings.js';
import { providerNames, providerSettings } from '../llm/providers.js';
import { verifyKey } from '../llm/verify-key.js';
import { verifyCredentials } from './credential-verify.js';
import { envVarsOf } from '../llm/keys.js';
import { requestedProfile } from '../llm/session-profile.js';

type Methods = typeof CredentialService extends { method: infer M } ? M : never;

export interface CredentialServiceDeps {
  store: CredentialStore;
  config: ConfigStore;
  /** The daemon's default profile (`security.credentials.profile_name`). */
  defaultProfile: () => string;
  clock: Clock;
  audit?: AuditSink;
  /** For tests: the verification call's fetch. */
  fetch?: typeof fetch;
  /** A provider's key was stored or removed (the LLM gate forgets its last rejection). */
  onKeyChanged?: (provider: ProviderName) => void;
}

const MAX_KEY = 4096;

/** The request's profile, else the `sylk-profile` header (`--profile`, SYLK_PROFILE), else the daemon's default. */
function profileOf(requested: string, ctx: CallContext | undefined, fallback: () => string): string {
  return checkProfile(requested || requestedProfile(ctx) || fallback());
}

function provider(name: string): ProviderName {
  if (!isProviderName(name)) {
    throw new SylkError(`unknown provider '${name.slice(0, 80)}'`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
      hint: `one of: ${PROVIDERS.join(', ')}`,
    });
  }
  return name;
}

function checkKey(key: string): string {
  const bad = (why: string) =>
    new SylkError(`the API key ${why}; nothing was stored`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
      hint: 'pipe exactly the key: printf %s "$KEY" | sylk auth login <provider> --api-key-stdin',
    });
  if (key === '') throw bad('is empty');
  if (key.length > MAX_KEY) throw bad(`is longer than ${MAX_KEY} characters`);
  if (/[\s\u0000-\u001f\u007f]/.test(key)) throw bad('contains spaces, line breaks or control characters');
  return key;
}

export function credentialServiceImpl(deps: CredentialServiceDeps): ServiceImpl<Methods> {
  const audit = () => deps.audit ?? nullAuditSink;
  return {
    async setCredential(req, ctx) {
      const name = provider(req.provider);
      const profile = profileOf(req.profile, ctx, deps.defaultProfile);
      const key = checkKey(req.apiKey);
      let verifiedAt = 0;
      if (!req.skipVerify) {
        const { baseUrl } = providerSettings(deps.config.current().config.llm, name);
        try {
          await verifyKey({
            provider: name,
            baseUrl,
            apiKey: key,
            signal: ctx.signal,
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
          });
        } catch (err) {
          audit().record({
            category: 'auth',
            action: 'credential_verify',
            target: `${profile}/${name}`,
            outcome: (err as SylkError).code === 'auth.key_rejected' ? 'rejected' : 'error',
          });
          throw err;
        }
        verifiedAt = deps.clock.now();
      }
      const { storedIn } = await deps.store.set(name, profile, key, verifiedAt);
      deps.onKeyChanged?.(name);
      return { storedIn, verified: verifiedAt > 0, masked: maskKey(key) };
    },

    async credentialStatus(req, ctx) {
      const profile = profileOf(req.profile, ctx, deps.defaultProfile);
      const names = providerNames(deps.config.current().config.llm).filter(isProviderName);
      const list = await deps.store.status(names, profile);
      return {
        credentials: list.map((c) => ({
          provider: c.provider,
          profile: c.profile,
          source: c.source,
          masked: c.masked,
          verifiedAtUnixMs: BigInt(c.verifiedAt),
          problem: c.problem,
        })),
        keychain: deps.store.keychainDescription(),
        filePath: deps.store.filePath,
        profile,
      };
    },

    async removeCredential(req, ctx) {
      const name = provider(req.provider);
      const profile = profileOf(req.profile, ctx, deps.defaultProfile);
      const removedFrom = await deps.store.remove(name, profile);
      deps.onKeyChanged?.(name);
      return { removedFrom };
    },

    async verifyCredentials(req, ctx) {
      const profile = profileOf(req.profile, ctx, deps.defaultProfile);
      const checks = await verifyCredentials({ ...deps, signal: ctx.signal }, profile);
      return { checks, profile };
    },
  };
}

export interface OpenCredentialStoreOptions {
  dirs: SylkDirs;
  env: Readonly<Record<string, string | undefined>>;
  config: ConfigStore;
  clock: Clock;
  logger: Logger;
  audit?: AuditSink;
  /** Told every key the store resolves or stores, for redaction (the daemon's SecretValues). */
  secrets?: { set(owner: string, value: string | undefined): void };
}

/**
 * sylkd's credential store: `{config}/credentials.enc` (+ `credentials.meta.json`, no secrets)
 * and the system keychain under the service name `sylk`, account `<profile>/<provider>`.
 */
export function openCredentialStore(o: OpenCredentialStoreOptions): CredentialStore {
  return new CredentialStore({
    envVars: envVarsOf,
    env: o.env,
    file: new EncryptedCredentialFile({
      path: join(o.dirs.config, 'credentials.enc'),
      identity: () => machineIdentity(),
      clock: o.clock,
    }),
    metaPath: join(o.dirs.config, 'credentials.meta.json'),
    keychain: systemKeychain('sylk'),
    keychainEnabled: () => o.config.current().config.security.credentials.keychain,
    clock: o.clock,
    logger: o.logger.child({ component: 'credentials' }),
    ...(o.audit ? { audit: o.audit } : {}),
    ...(o.secrets ? { secrets: o.secrets } : {}),
  });
}

/** The daemon's default profile: `security.credentials.profile_name` (live), else `default`. */
export function configuredProfile(config: ConfigStore): string {
  return config.current().config.security.credentials.profile_name || DEFAULT_PROFILE;
}
