import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';

describe('cutToolArguments', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({
      scenario: {
        steps: [
          {
            reply: {
              text: 'Writing.',
              toolCalls: [{ id: 'w1', name: 'write_file', arguments: { path: 'big.txt', content: 'x'.repeat(100) } }],
              cutToolArguments: 40,
            },
          },
        ],
      },
    });
  });
  afterAll(async () => emu.close());

  it('streams the last call cut after N characters of its JSON and stops with max_tokens', async () => {
    const res = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({
        model: 'm',
        max_tokens: 10,
        stream: true,
        messages: [{ role: 'user', content: 'write' }],
      }),
    });
    type Event = { type: string; delta?: { type?: string; partial_json?: string; stop_reason?: string } };
    const events = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as Event);
    const json = events
      .filter((e) => e.delta?.type === 'input_json_delta')
      .map((e) => e.delta?.partial_json ?? '')
      .join('');
    expect(json).toBe(JSON.stringify({ path: 'big.txt', content: 'x'.repeat(100) }).slice(0, 40));
    expect(events.find((e) => e.type === 'message_delta')?.delta?.stop_reason).toBe('max_tokens');
    expect(events.filter((e) => e.type === 'content_block_stop')).toHaveLength(2);
  });
});
