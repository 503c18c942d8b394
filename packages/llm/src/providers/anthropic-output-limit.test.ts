import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { createAdapter } from './factory.js';

describe('anthropic: a model output limit above what the SDK allows unstreamed by default', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ scenario: { steps: [{ reply: { text: 'done' } }] } });
  });
  afterAll(async () => emu.close());

  it('still answers generate() (the non-streaming fallback) with max_tokens 128,000', async () => {
    const adapter = createAdapter({ provider: 'anthropic', baseUrl: emu.url, apiKey: 'k' });
    try {
      const res = await adapter.generate({
        model: 'claude-sonnet-5-5',
        maxTokens: 128_000,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.content).toBe('done');
      expect((emu.requests().at(-1)?.body as { max_tokens: number }).max_tokens).toBe(128_000);
    } finally {
      await adapter.close();
    }
  });
});
