import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '@sylk/core';
import { createCatalog } from '@sylk/llm/catalog';
import { LLMGate, Priority } from '@sylk/llm/gate';
import type { StreamChunk } from '@sylk/llm';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { AdapterPool, type ProviderSettings } from './adapters.js';

const KEY = 'sk-test-adapter-pool-0123456789abcdef';
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    scenario: {
      apiKey: KEY,
      defaults: { chunkSize: 3 },
      steps: [{ times: 10, reply: { text: 'the gate streams from the pool' } }],
    },
  });
});
afterAll(async () => emu.close());

/** A gate whose adapter lookup is the pool, as in sylkd. */
function setup(settings: Partial<ProviderSettings>): { pool: AdapterPool; gate: LLMGate; close: () => Promise<void> } {
  const pool = new AdapterPool({
    env: { ANTHROPIC_API_KEY: KEY },
    settings: () => ({ enabled: true, baseUrl: emu.url, defaultModel: '', ...settings }),
    catalog: () => createCatalog(),
    clock: systemClock,
    logger: silentLogger(),
  });
  const gate = new LLMGate({
    adapters: (provider, profile) => pool.get(provider, profile),
    pricing: () => undefined,
    estimateTokens: () => 1,
    logger: silentLogger(),
  });
  return { pool, gate, close: async () => (await gate.close(), await pool.close()) };
}
const ask = {
  provider: 'anthropic' as const,
  priority: Priority.UserInteractive,
  user: true,
  request: { model: 'claude-opus-4-6', messages: [{ role: 'user' as const, content: 'go' }] },
};

describe('the gate looking adapters up in the pool', () => {
  it("streams the real adapter's chunks, built on the first request", async () => {
    const { pool, gate, close } = setup({});
    try {
      const chunks: StreamChunk[] = [];
      for await (const c of gate.stream(ask)) chunks.push(c);
      expect(chunks.map((c) => (c.type === 'text' ? c.text : '')).join('')).toBe('the gate streams from the pool');
      expect(chunks.at(-1)).toEqual({ type: 'stop', stopReason: 'end_turn' });
      expect(await pool.get('anthropic')).toBe(await pool.get('anthropic'));
    } finally {
      await close();
    }
  });

  it('fails a request to a provider that cannot be used with its own code and hint, never retried, nothing sent', async () => {
    const { gate, close } = setup({ enabled: false });
    emu.reset();
    try {
      const s = gate.stream(ask);
      await expect(s[Symbol.asyncIterator]().next()).rejects.toMatchObject({
        code: 'llm.provider_disabled',
        tier: 'user_fixable',
        hint: 'set llm.providers.anthropic.enabled: true',
      });
      expect(gate.stats()).toMatchObject({ failed: 1, retried: 0 });
      expect(emu.requests()).toHaveLength(0);
    } finally {
      await close();
    }
  });

  it('a consumer that stops early ends the request and frees its gate slot', async () => {
    const { gate, close } = setup({});
    try {
      for await (const c of gate.stream(ask)) if (c.type === 'text') break;
      await expect.poll(() => gate.stats().inFlight).toBe(0);
    } finally {
      await close();
    }
  });
});
