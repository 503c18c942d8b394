// The verification call of `sylk auth login`, against the emulator's model lists (which check the key).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { verifyKey } from './verify-key.js';

const KEY = 'sk-verify-key-test-0123456789abcdef';
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: KEY, steps: [{ reply: { text: 'unused' } }] } });
});
afterAll(async () => emu.close());

describe('verifyKey', () => {
  it('accepts the right key and rejects a wrong one, for each provider by its own URL convention', async () => {
    const cases = [
      { provider: 'anthropic' as const, baseUrl: emu.url, path: '/v1/models' },
      { provider: 'openai' as const, baseUrl: `${emu.url}/v1`, path: '/v1/models' },
      { provider: 'google' as const, baseUrl: emu.url, path: '/v1beta/models' },
    ];
    for (const c of cases) {
      emu.reset();
      await expect(verifyKey({ provider: c.provider, baseUrl: c.baseUrl, apiKey: KEY })).resolves.toBeUndefined();
      const err = await verifyKey({
        provider: c.provider,
        baseUrl: c.baseUrl,
        apiKey: 'sk-wrong-key-000000000000000000',
      }).catch((e: unknown) => e as Error & { code: string; hint: string });
      expect(err).toMatchObject({
        code: 'auth.key_rejected',
        tier: 'user_fixable',
        message: expect.stringMatching(/HTTP 40[01]/),
        hint: expect.stringContaining(`sylk auth login ${c.provider}`),
      });
      expect(JSON.stringify([err, err.message])).not.toContain('sk-wrong-key');
      expect(emu.requests().map((r) => r.path)).toEqual([c.path, c.path]);
    }
  });

  it('cannot tell when the endpoint does not answer or answers something else: says so, suggests --skip-verify', async () => {
    await expect(
      verifyKey({ provider: 'anthropic', baseUrl: 'http://127.0.0.1:1', apiKey: KEY }),
    ).rejects.toMatchObject({ code: 'auth.verify_failed', hint: expect.stringContaining('--skip-verify') });
    await expect(verifyKey({ provider: 'openai', baseUrl: `${emu.url}/nowhere`, apiKey: KEY })).rejects.toMatchObject({
      code: 'auth.verify_failed',
      message: expect.stringContaining('HTTP 404'),
    });
  });
});
