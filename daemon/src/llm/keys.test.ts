// Keys resolved per (provider, profile) on every use: a changed key rebuilds the adapter without a
// restart, profiles never share a client, and no key ever reaches a child's environment.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED, SecretValues, silentLogger, systemClock } from '@sylk/core';
import { createCatalog } from '@sylk/llm/catalog';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { CredentialStore, EncryptedCredentialFile } from '@sylk/security';
import { buildChildEnv, defaultToolEnvBlocklist } from '@sylk/tools';
import { AdapterPool } from './adapters.js';
import { KEY_VARS, envVarsOf, registerEnvSecrets, storeKeyResolver } from './keys.js';

const GOOD = 'sk-ant-good-key-for-the-emulator-0001';
let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: GOOD, steps: [{ times: 100, reply: { text: 'ok' } }] } });
});
afterAll(async () => emu.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(env: Record<string, string> = {}) {
  const store = new CredentialStore({
    envVars: envVarsOf,
    env,
    file: new EncryptedCredentialFile({
      path: join(dir, 'credentials.enc'),
      identity: () => ({ machineId: 'm', user: 'u' }),
      clock: systemClock,
    }),
    metaPath: join(dir, 'credentials.meta.json'),
    keychain: undefined,
    clock: systemClock,
    logger: silentLogger(),
  });
  const pool = new AdapterPool({
    env,
    keys: storeKeyResolver(store),
    settings: () => ({ enabled: true, baseUrl: emu.url, defaultModel: '' }),
    catalog: () => createCatalog(),
    clock: systemClock,
    logger: silentLogger(),
  });
  return { store, pool };
}

async function ask(pool: AdapterPool, profile?: string): Promise<string> {
  const request = { model: 'claude-sonnet-5-5', messages: [{ role: 'user' as const, content: 'hi' }] };
  let text = '';
  for await (const c of (await pool.get('anthropic', profile)).stream(request)) if (c.type === 'text') text += c.text;
  return text;
}

describe('provider keys from the credential store', () => {
  it('a missing key says which command fixes it, for the profile in use', async () => {
    const { pool } = setup();
    try {
      await expect(pool.get('anthropic')).rejects.toMatchObject({
        code: 'llm.auth_missing',
        tier: 'user_fixable',
        hint: expect.stringContaining('sylk auth login anthropic'),
      });
      await expect(pool.get('anthropic', 'work')).rejects.toMatchObject({
        hint: expect.stringContaining('sylk --profile work auth login anthropic'),
      });
    } finally {
      await pool.close();
    }
  });

  it('login, a changed key and logout apply to the next request without a restart; profiles use their own keys', async () => {
    const { store, pool } = setup();
    try {
      await store.set('anthropic', 'default', GOOD, 0);
      expect(await ask(pool)).toBe('ok');
      const first = await pool.get('anthropic');
      await store.set('anthropic', 'default', 'sk-ant-wrong-key-000000000000000', 0);
      await expect(ask(pool)).rejects.toMatchObject({ code: 'llm.auth_failed' });
      expect(await pool.get('anthropic')).not.toBe(first);
      await store.set('anthropic', 'default', GOOD, 0);
      expect(await ask(pool)).toBe('ok');

      // The work profile has no key yet; its requests fail while default's still work.
      await expect(ask(pool, 'work')).rejects.toMatchObject({ code: 'llm.auth_missing' });
      await store.set('anthropic', 'work', 'sk-ant-work-key-but-wrong-00000000', 0);
      await expect(ask(pool, 'work')).rejects.toMatchObject({ code: 'llm.auth_failed' });
      expect(await ask(pool)).toBe('ok');

      await store.remove('anthropic', 'default');
      await expect(ask(pool)).rejects.toMatchObject({ code: 'llm.auth_missing' });
    } finally {
      await pool.close();
    }
  });

  it('never exports a key: process.env stays as it was and a child environment drops every provider variable', async () => {
    const before = { ...process.env };
    const env = Object.fromEntries(
      Object.values(KEY_VARS)
        .flat()
        .map((name) => [name, `${name.toLowerCase()}-planted-0123456789`]),
    );
    const { store, pool } = setup(env);
    try {
      await store.set('openai', 'default', 'sk-stored-openai-key-0123456789', 0);
      await store.resolve('openai', 'default');
      expect(process.env).toEqual(before);
      const child = buildChildEnv({ ...env, PATH: '/bin' }, defaultToolEnvBlocklist());
      expect(child).toEqual({ PATH: '/bin' });
      expect(JSON.stringify(child)).not.toContain('planted');
    } finally {
      await pool.close();
    }
  });
});

describe('registerEnvSecrets', () => {
  it('registers the provider keys and every variable the child blocklist matches (plus configured names), nothing else', () => {
    const secrets = new SecretValues();
    registerEnvSecrets(
      secrets,
      {
        GEMINI_API_KEY: 'gemini-key-0000000',
        GITHUB_TOKEN: 'gh-token-00000000',
        MY_CORP_CODE: 'corp-code-0000000',
        HOME: '/home/someone-long',
      },
      ['MY_CORP_*'],
    );
    expect(secrets.redact('gemini-key-0000000 gh-token-00000000 corp-code-0000000 /home/someone-long')).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED} /home/someone-long`,
    );
  });
});
