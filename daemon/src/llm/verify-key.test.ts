// The verification call of `sylk auth login` and `sylk doctor`, against the emulator's model lists
// (which check the key as the providers do), over real HTTP; it speaks the adapters' API versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { accumulate, ANTHROPIC_API_VERSION, createAdapter, GEMINI_API_VERSION } from '@sylk/llm';
import { verifyKey } from './verify-key.js';

const KEY = 'sk-verify-key-test-0123456789abcdef';
const WRONG = 'sk-wrong-key-000000000000000000';
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: KEY, steps: [{ reply: { text: 'unused' } }] } });
});
afterAll(async () => emu.close());

const rejection = (provider: 'anthropic' | 'openai' | 'google', baseUrl: string) =>
  verifyKey({ provider, baseUrl, apiKey: WRONG }).catch((e: unknown) => e as Error & { code: string; hint: string });

describe('verifyKey', () => {
  it('accepts the right key and rejects a wrong one, for each provider by its own URL convention', async () => {
    const cases = [
      { provider: 'anthropic' as const, baseUrl: emu.url, path: '/v1/models', status: 401 },
      { provider: 'openai' as const, baseUrl: `${emu.url}/v1`, path: '/v1/models', status: 401 },
      { provider: 'google' as const, baseUrl: emu.url, path: `/${GEMINI_API_VERSION}/models`, status: 400 },
    ];
    for (const c of cases) {
      emu.reset();
      await expect(verifyKey({ provider: c.provider, baseUrl: c.baseUrl, apiKey: KEY })).resolves.toBeUndefined();
      const err = await rejection(c.provider, c.baseUrl);
      expect(err).toMatchObject({
        code: 'auth.key_rejected',
        tier: 'user_fixable',
        message: expect.stringContaining(`HTTP ${c.status} from ${emu.url}${c.path}`),
        hint: expect.stringContaining(`sylk auth login ${c.provider}`),
      });
      expect(JSON.stringify([err, err.message])).not.toContain('sk-wrong-key');
      expect(emu.requests().map((r) => r.path)).toEqual([c.path, c.path]);
    }
  });

  /** One chat streamed by the adapter, then the key check, on a fresh request log: both requests. */
  async function adapterThenCheck(provider: 'anthropic' | 'google', model: string) {
    emu.reset();
    const chat = { model, messages: [{ role: 'user' as const, content: 'hi' }] };
    await accumulate(createAdapter({ provider, apiKey: KEY, baseUrl: emu.url }).stream(chat));
    await verifyKey({ provider, baseUrl: emu.url, apiKey: KEY });
    return emu.requests();
  }

  it('speaks the API version and path the adapters speak', async () => {
    // Anthropic: the adapter's request and the check carry the same anthropic-version and authorization scheme.
    const [message, anthropicList] = await adapterThenCheck('anthropic', 'claude-sonnet-5-5');
    expect(message?.path).toBe('/v1/messages');
    expect(message?.headers['anthropic-version']).toBe(ANTHROPIC_API_VERSION);
    expect(anthropicList?.headers['anthropic-version']).toBe(ANTHROPIC_API_VERSION);
    expect(anthropicList?.headers.authorization).toBe(message?.headers.authorization);

    // Google: the same API version in the path.
    const [generate, googleList] = await adapterThenCheck('google', 'gemini-3-pro-preview');
    expect(generate?.path).toBe(`/${GEMINI_API_VERSION}/models/gemini-3-pro-preview:streamGenerateContent`);
    expect(googleList?.path).toBe(`/${GEMINI_API_VERSION}/models`);
  });

  it("reads Google's bad-key answer as Google sends it: 400 INVALID_ARGUMENT, reason API_KEY_INVALID", async () => {
    const res = await fetch(`${emu.url}/${GEMINI_API_VERSION}/models`, { headers: { 'x-goog-api-key': WRONG } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { status: string; details: Array<{ reason?: string }> } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.details).toContainEqual(expect.objectContaining({ reason: 'API_KEY_INVALID' }));
    // Any other 400 is not a verdict on the key.
    await expect(
      verifyKey({
        provider: 'google',
        baseUrl: emu.url,
        apiKey: KEY,
        fetch: () => Promise.resolve(new Response('{"error":{"status":"INVALID_ARGUMENT"}}', { status: 400 })),
      }),
    ).rejects.toMatchObject({ code: 'auth.verify_failed', message: expect.stringContaining('HTTP 400') });
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
