import { describe, expect, it } from 'vitest';
import { ErrorTier, ManualClock, SylkError } from '@sylk/core';
import { accumulate } from '../providers/stream.js';
import { ProviderError, type LLMResponse, type StreamChunk } from '../types.js';
import { GateErrorCode } from './errors.js';
import { StreamHealth, isStreamFault, responseChunks } from './stream-health.js';

const inStream = (code: string, inStreamFlag = true) =>
  new ProviderError('x', { provider: 'openai', inStream: inStreamFlag }, { tier: ErrorTier.Transient, code });

describe('StreamHealth', () => {
  it('degrades after N consecutive stream faults, probes after the period, restores on success', () => {
    const clock = new ManualClock(1_000);
    const h = new StreamHealth({ failures: 3, probeAfterMs: 10_000 }, clock);
    expect([h.record(true), h.record(false), h.record(true), h.record(true)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(h.useGenerate()).toBe(false); // the success in between reset the count
    expect(h.record(true)).toBe('degraded');
    expect([h.useGenerate(), h.degradedUntil]).toEqual([true, 11_000]);
    clock.advance(10_000);
    expect(h.useGenerate()).toBe(false); // probe time
    expect(h.record(true)).toBeUndefined(); // failed probe: another period, no new announcement
    expect([h.useGenerate(), h.degradedUntil]).toEqual([true, 21_000]);
    clock.advance(10_000);
    expect(h.record(false)).toBe('restored');
    expect([h.useGenerate(), h.degradedUntil]).toEqual([false, undefined]);
  });
});

describe('isStreamFault', () => {
  it('counts failures of the stream as a transport, not of the provider or the request', () => {
    expect(
      ['llm.network', 'llm.stream_truncated', 'llm.malformed_response'].map((c) => isStreamFault(inStream(c))),
    ).toEqual([true, true, true]);
    expect(isStreamFault(new SylkError('no output', { code: GateErrorCode.StreamTimeout }))).toBe(true);
    expect(isStreamFault(inStream('llm.network', false))).toBe(false); // before the stream began
    expect(isStreamFault(inStream('llm.provider_degraded'))).toBe(false);
    expect(isStreamFault(inStream('llm.rate_limited'))).toBe(false);
    expect(isStreamFault(new Error('boom'))).toBe(false);
  });
});

describe('responseChunks', () => {
  it('carries a whole response as the chunks a stream would have, which accumulate back to it', async () => {
    const response: LLMResponse = {
      content: 'Reading it.',
      thinking: 'The file first.',
      model: 'gpt-5.2-codex',
      stopReason: 'tool_use',
      usage: { inputTokens: 12, outputTokens: 7, cacheReadTokens: 3, cacheWriteTokens: 0 },
      toolCalls: [
        { id: 'c1', name: 'read_file', arguments: { path: 'a.ts' } },
        { id: 'c2', name: 'run_command', arguments: { command: 'npm test' }, argumentsText: '{"command":"npm test"}' },
      ],
    };
    const chunks = responseChunks(response);
    expect(chunks.map((c) => c.type)).toEqual([
      'start',
      'thinking',
      'text',
      'tool_start',
      'tool_delta',
      'tool_end',
      'tool_start',
      'tool_delta',
      'tool_end',
      'usage',
      'stop',
    ]);
    const back = await accumulate(
      (async function* (): AsyncGenerator<StreamChunk> {
        yield* chunks;
      })(),
    );
    expect(back).toMatchObject({
      content: response.content,
      thinking: response.thinking,
      model: response.model,
      stopReason: 'tool_use',
      usage: response.usage,
    });
    expect(back.toolCalls.map((t) => [t.id, t.name, t.arguments])).toEqual(
      response.toolCalls.map((t) => [t.id, t.name, t.arguments]),
    );
  });
});
