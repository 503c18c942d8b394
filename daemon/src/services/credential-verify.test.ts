import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ConfigStore, type SylkConfig } from '@sylk/config';
import { verifyCredentials } from './credential-verify.js';

const KEY = 'sk-verify-unit-secret-0123456789';

function deps(keys: Record<string, { apiKey: string; source: string }>, answer: (url: string) => Response | Error) {
  const config = {
    ...DEFAULT_CONFIG,
    llm: {
      ...DEFAULT_CONFIG.llm,
      providers: {
        ...DEFAULT_CONFIG.llm.providers,
        google: { enabled: false },
        anthropic: { base_url: 'http://emu.test' },
        'openai-compatible': { base_url: 'http://127.0.0.1:11434/v1' },
      },
    },
  } as unknown as SylkConfig;
  const calls: string[] = [];
  return {
    calls,
    deps: {
      config: { current: () => ({ config }) } as unknown as Pick<ConfigStore, 'current'>,
      store: { resolve: async (provider: string) => keys[provider] },
      fetch: (async (url: string | URL) => {
        calls.push(String(url));
        const a = answer(String(url));
        if (a instanceof Error) throw a;
        return a;
      }) as typeof fetch,
    },
  };
}

describe('verifyCredentials', () => {
  it('ok, rejected (with the login or the environment fix), unreachable, no key; disabled providers not called', async () => {
    const { deps: d, calls } = deps(
      {
        anthropic: { apiKey: KEY, source: 'keychain' },
        openai: { apiKey: KEY, source: 'env OPENAI_API_KEY' },
        'openai-compatible': { apiKey: KEY, source: 'file' },
      },
      (url) =>
        url.startsWith('http://emu.test')
          ? new Response('{}', { status: 200 })
          : url.includes('api.openai.com')
            ? new Response('{"error":"bad key"}', { status: 401 })
            : Object.assign(new TypeError('fetch failed'), {
                cause: new Error('connect ECONNREFUSED 127.0.0.1:11434'),
              }),
    );
    const checks = await verifyCredentials(d, 'work');
    const by = Object.fromEntries(checks.map((c) => [c.provider, c]));
    expect(by.anthropic).toMatchObject({
      outcome: 'ok',
      source: 'keychain',
      detail: 'key accepted at http://emu.test',
    });
    expect(by.openai).toMatchObject({ outcome: 'rejected', source: 'env OPENAI_API_KEY' });
    expect(by.openai?.fix).toBe(
      "replace OPENAI_API_KEY in sylkd's environment, or unset it and run `sylk --profile work auth login openai`",
    );
    expect(by['openai-compatible']).toMatchObject({ outcome: 'unreachable' });
    expect(by['openai-compatible']?.detail).toContain('ECONNREFUSED');
    expect(by.google).toBeUndefined();
    expect(calls.some((u) => u.includes('googleapis'))).toBe(false);
    expect(JSON.stringify(checks)).not.toContain(KEY);
  });

  it('a provider without a key is reported with the login command, not called', async () => {
    const { deps: d, calls } = deps({}, () => new Response('{}'));
    const checks = await verifyCredentials(d, 'default');
    expect(checks.find((c) => c.provider === 'anthropic')).toMatchObject({
      outcome: 'no_key',
      fix: 'sylk auth login anthropic',
    });
    expect(calls).toEqual([]);
  });
});
