import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, systemClock } from '@sylk/core';
import { createCatalog } from '@sylk/llm/catalog';
import type { StreamChunk } from '@sylk/llm';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { AdapterPool, type ProviderSettings } from './adapters.js';

const KEY = 'sk-test-adapter-pool-0123456789abcdef';
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: KEY, defaults: { chunkSize: 3 }, steps: [{ times: 10, reply: { text: 'the gate streams through the stand-in' } }] } });
});
afterAll(async () => emu.close());

function pool(settings: Partial<ProviderSettings>): AdapterPool {
  return new AdapterPool({
    env: { ANTHROPIC_API_KEY: KEY },
    settings: () => ({ enabled: true, baseUrl: emu.url, defaultModel: '', ...settings }),
    catalog: () => createCatalog(),
    clock: systemClock,
    logger: silentLogger(),
  });
}
const request = { model: 'claude-opus-4-6', messages: [{ role: 'user' as const, content: 'go' }] };

describe("AdapterPool's stand-in for the gate", () => {
  it('streams the real adapter\'s chunks, looked up on the first read', async () => {
    const p = pool({});
    try {
      const chunks: StreamChunk[] = [];
      for await (const c of p.forGate('anthropic').stream(request)) chunks.push(c);
      expect(chunks.map((c) => (c.type === 'text' ? c.text : '')).join('')).toBe('the gate streams through the stand-in');
      expect(chunks.at(-1)).toEqual({ type: 'stop', stopReason: 'end_turn' });
    } finally {
      await p.close();
    }
  });

  it('fails the first read when the provider cannot be used, and can be closed before any read', async () => {
    const p = pool({ enabled: false });
    try {
      const it = p.forGate('anthropic').stream(request)[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: 'llm.provider_disabled' });
      await expect(p.forGate('anthropic').stream(request)[Symbol.asyncIterator]().return?.()).resolves.toEqual({ done: true, value: undefined });
    } finally {
      await p.close();
    }
  });

  it('a consumer that stops early ends the stream in the stream thread', async () => {
    const p = pool({});
    try {
      for await (const c of p.forGate('anthropic').stream(request)) if (c.type === 'text') break;
      expect(p.threadStats()?.openStreams).toBe(0);
    } finally {
      await p.close();
    }
  });
});
