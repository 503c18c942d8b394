/**
 * The cheap call `sylk auth login` and `sylk doctor` make to check a key: list the provider's
 * models at its configured base URL, with the API version and authentication the adapters' SDKs
 * use. 401/403 (Google: 400 API_KEY_INVALID) = the key is wrong; anything else that fails =
 * cannot tell (offline, wrong URL), which the user can override with --skip-verify.
 */
import { ErrorTier, SylkError } from '@sylk/core';
import type { ProviderName } from '@sylk/llm';
import { loadProviders } from './adapters.js';

const STANDARD: Record<ProviderName, string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  google: 'https://generativelanguage.googleapis.com',
  'openai-compatible': 'http://127.0.0.1:11434/v1',
};

/** The models URL and headers, as each adapter's SDK builds them from its base URL and key. */
async function modelsRequest(
  provider: ProviderName,
  baseUrl: string,
  key: string,
): Promise<{ url: string; headers: Record<string, string> }> {
  // The adapters' own API versions (the adapters load on first use, not at sylkd's start).
  const { ANTHROPIC_API_VERSION, GEMINI_API_VERSION } = await loadProviders();
  const base = (baseUrl || STANDARD[provider]).replace(/\/+$/, '');
  switch (provider) {
    case 'anthropic':
      return {
        url: `${base}/v1/models?limit=1`,
        headers: { authorization: `Bearer ${key}`, 'anthropic-version': ANTHROPIC_API_VERSION },
      };
    case 'google':
      return { url: `${base}/${GEMINI_API_VERSION}/models?pageSize=1`, headers: { 'x-goog-api-key': key } };
    default:
      return { url: `${base}/models`, headers: { authorization: `Bearer ${key}` } };
  }
}

export interface VerifyOptions {
  provider: ProviderName;
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Resolves when the provider accepts the key; rejects with `auth.key_rejected` or `auth.verify_failed`. */
export async function verifyKey(o: VerifyOptions): Promise<void> {
  const { url, headers } = await modelsRequest(o.provider, o.baseUrl, o.apiKey);
  const endpoint = url.replace(/\?.*$/, '');
  const timeout = AbortSignal.timeout(o.timeoutMs ?? 15_000);
  let status: number;
  let body = '';
  try {
    const res = await (o.fetch ?? fetch)(url, {
      headers,
      signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
    });
    status = res.status;
    if (res.ok) await res.body?.cancel();
    else body = (await res.text()).slice(0, 4096);
  } catch (err) {
    // The cause's message names the host, never the key (it is only in a header).
    const why =
      (err as Error).name === 'TimeoutError'
        ? 'timed out'
        : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new SylkError(`could not verify the ${o.provider} key: ${endpoint} did not answer (${why})`, {
      tier: ErrorTier.UserFixable,
      code: 'auth.verify_failed',
      hint: `check llm.providers.${o.provider}.base_url and your network, or store it unverified with --skip-verify`,
    });
  }
  // Google answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
  if (status === 401 || status === 403 || (status === 400 && /API_KEY_INVALID|API key not valid/.test(body))) {
    throw new SylkError(`${o.provider} rejected the key (HTTP ${status} from ${endpoint}); nothing was stored`, {
      tier: ErrorTier.UserFixable,
      code: 'auth.key_rejected',
      hint: `check the key (copy it again from the ${o.provider} console) and run \`sylk auth login ${o.provider}\` again`,
    });
  }
  if (status < 200 || status >= 300) {
    throw new SylkError(`could not verify the ${o.provider} key: ${endpoint} answered HTTP ${status}`, {
      tier: ErrorTier.UserFixable,
      code: 'auth.verify_failed',
      hint: `check llm.providers.${o.provider}.base_url, or store it unverified with --skip-verify`,
    });
  }
}
