/** VerifyCredentials: each enabled provider's key in effect, checked the way `sylk auth login` checks one. */
import { isSylkError, errorMessage } from '@sylk/core';
import type { ConfigStore } from '@sylk/config';
import { DEFAULT_PROFILE, type CredentialStore } from '@sylk/security';
import type { CredentialCheck } from '@sylk/proto';
import { isProviderName } from '../llm/settings.js';
import { providerNames, providerSettings } from '../llm/providers.js';
import { verifyKey } from '../llm/verify-key.js';

export interface VerifyCredentialsDeps {
  store: Pick<CredentialStore, 'resolve'>;
  config: Pick<ConfigStore, 'current'>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

type Check = Pick<CredentialCheck, 'provider' | 'source' | 'outcome' | 'detail' | 'fix'>;

/** Every enabled provider, verified concurrently; one that has no key is reported, not called. */
export async function verifyCredentials(deps: VerifyCredentialsDeps, profile: string): Promise<Check[]> {
  const llm = deps.config.current().config.llm;
  const names = providerNames(llm)
    .filter(isProviderName)
    .filter((p) => providerSettings(llm, p).enabled);
  const flag = profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`;
  return Promise.all(
    names.map(async (provider): Promise<Check> => {
      const found = await deps.store.resolve(provider, profile);
      if (found === undefined)
        return {
          provider,
          source: '',
          outcome: 'no_key',
          detail: `no key (profile ${profile})`,
          fix: provider === 'openai-compatible' ? '' : `sylk${flag} auth login ${provider}`,
        };
      const { baseUrl } = providerSettings(llm, provider);
      const where = baseUrl ? ` at ${baseUrl}` : '';
      try {
        await verifyKey({
          provider,
          baseUrl,
          apiKey: found.apiKey,
          timeoutMs: 10_000,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
          ...(deps.signal ? { signal: deps.signal } : {}),
        });
        return { provider, source: found.source, outcome: 'ok', detail: `key accepted${where}`, fix: '' };
      } catch (err) {
        const rejected = isSylkError(err) && err.code === 'auth.key_rejected';
        const fromEnv = found.source.startsWith('env ');
        return {
          provider,
          source: found.source,
          outcome: rejected ? 'rejected' : 'unreachable',
          // verifyKey's message names the endpoint and status, never the key; "nothing was stored" is login's.
          detail: errorMessage(err).replace(/; nothing was stored$/, ''),
          fix: rejected
            ? fromEnv
              ? `replace ${found.source.slice(4)} in sylkd's environment, or unset it and run \`sylk${flag} auth login ${provider}\``
              : `sylk${flag} auth login ${provider}`
            : `check your network and llm.providers.${provider}.base_url (\`sylk config get llm.providers.${provider}\`)`,
        };
      }
    }),
  );
}
