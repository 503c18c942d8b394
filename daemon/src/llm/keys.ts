import { createHash } from 'node:crypto';
import { ErrorTier, SylkError, defaultEnvBlocklist, secretEnvEntries } from '@sylk/core';
import type { ProviderName } from '@sylk/llm';
import { DEFAULT_PROFILE, type CredentialStore } from '@sylk/security';

/** Environment variables that carry a provider's key, in order; they apply to every profile. */
export const KEY_VARS: Record<ProviderName, readonly string[]> = {
  anthropic: ['ANTHROPIC_API_KEY'],
  openai: ['OPENAI_API_KEY'],
  google: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'],
  // Local servers (Ollama, vLLM, …) usually need none.
  'openai-compatible': ['OPENAI_COMPATIBLE_API_KEY'],
};

export const envVarsOf = (provider: string): readonly string[] => KEY_VARS[provider as ProviderName] ?? [];

/**
 * Registers every secret in sylkd's own environment for redaction: the provider key variables,
 * and every variable whose name the child-environment blocklist matches (core's list plus the
 * configured `tools.env_blocklist`: what a child never gets is what must never be shown).
 * Keys from the credential store register themselves as they are resolved or stored.
 */
export function registerEnvSecrets(
  secrets: { set(owner: string, value: string | undefined): void },
  env: Readonly<Record<string, string | undefined>>,
  blocklist: readonly string[] = [],
): void {
  for (const [name, value] of secretEnvEntries(env, [...defaultEnvBlocklist(), ...blocklist]))
    secrets.set(`env ${name}`, value);
  for (const name of Object.values(KEY_VARS).flat()) {
    const value = env[name];
    if (value !== undefined && value !== '') secrets.set(`env ${name}`, value);
  }
}

export interface ProviderKey {
  /** Undefined when none is set. Never logged, never returned over the wire. */
  apiKey: string | undefined;
  /** `env NAME`, `keychain` or `file`; when none is set, where it was looked for. */
  source: string;
  required: boolean;
  /** A short hash of the key (or `none`): adapters are cached by it, so a changed key builds a new one. */
  fingerprint: string;
}

/** How the daemon finds a provider's key for a profile; resolved when the provider is used. */
export interface KeyResolver {
  resolve(provider: ProviderName, profile: string): Promise<ProviderKey>;
}

const fingerprintOf = (key: string | undefined) =>
  key === undefined ? 'none' : createHash('sha256').update(key).digest('hex').slice(0, 16);

/** Environment only (tests and tools that run without a credential store). */
export function providerKey(provider: ProviderName, env: Readonly<Record<string, string | undefined>>): ProviderKey {
  const vars = KEY_VARS[provider];
  const required = provider !== 'openai-compatible';
  for (const name of vars) {
    const value = env[name];
    if (value !== undefined && value !== '')
      return { apiKey: value, source: `env ${name}`, required, fingerprint: fingerprintOf(value) };
  }
  return { apiKey: undefined, source: `env ${vars.join(' or ')}`, required, fingerprint: 'none' };
}

export function envKeyResolver(env: Readonly<Record<string, string | undefined>>): KeyResolver {
  return { resolve: async (provider) => providerKey(provider, env) };
}

/** Environment → system keychain → encrypted file, through the daemon's CredentialStore. */
export function storeKeyResolver(store: CredentialStore): KeyResolver {
  return {
    async resolve(provider, profile) {
      const required = provider !== 'openai-compatible';
      const found = await store.resolve(provider, profile);
      if (found !== undefined)
        return { apiKey: found.apiKey, source: found.source, required, fingerprint: fingerprintOf(found.apiKey) };
      const where = `env ${KEY_VARS[provider].join(' or ')}, the keychain and ${store.filePath} (profile ${profile})`;
      return { apiKey: undefined, source: where, required, fingerprint: 'none' };
    },
  };
}

/** `llm.auth_missing` for a provider used without a key: what to run, for this profile. */
export function missingKey(provider: ProviderName, profile: string, key: ProviderKey): SylkError {
  const flag = profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`;
  return new SylkError(`no API key for ${provider} (looked in ${key.source})`, {
    tier: ErrorTier.UserFixable,
    code: 'llm.auth_missing',
    hint: `run \`sylk${flag} auth login ${provider}\`, or set ${KEY_VARS[provider][0]} in sylkd's environment`,
    details: { provider, profile },
  });
}
