// The official SDKs are the judges of wire-format faithfulness: if they parse what the
// emulator sends (including their own stream accumulators), the format is right.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startEmulator, type Emulator, type Scenario } from './index.js';

const scenario: Scenario = {
  name: 'faithfulness',
  defaults: { chunkSize: 5 },
  steps: [
    {
      reply: {
        thinking: 'Let me look at the files.',
        text: 'Reading two files now.',
        toolCalls: [
          { name: 'read_file', arguments: { path: 'src/a.ts' } },
          { name: 'read_file', arguments: { path: 'src/b.ts', lines: [1, 20] } },
        ],
        usage: { input: 120, output: 33, cacheRead: 80, cacheWrite: 10 },
      },
    },
  ],
};

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario });
});
afterAll(async () => emu.close());
beforeEach(() => emu.reset());

const anthropic = () => new Anthropic({ apiKey: 'k', baseURL: emu.url, maxRetries: 0 });
const openai = () => new OpenAI({ apiKey: 'k', baseURL: `${emu.url}/v1`, maxRetries: 0 });
const gemini = () => new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: emu.url } });

describe('Anthropic SDK', () => {
  const params = {
    model: 'claude-sonnet-4-5-20250901',
    max_tokens: 100,
    messages: [{ role: 'user' as const, content: 'hi' }],
  };

  it('parses a non-streamed message', async () => {
    const msg = await anthropic().messages.create(params);
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use', 'tool_use']);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage).toMatchObject({
      input_tokens: 120,
      output_tokens: 33,
      cache_read_input_tokens: 80,
      cache_creation_input_tokens: 10,
    });
  });

  it('accumulates a streamed message with its stream helper', async () => {
    const msg = await anthropic().messages.stream(params).finalMessage();
    const tools = msg.content.filter((b) => b.type === 'tool_use');
    expect(tools.map((b) => b.input)).toEqual([{ path: 'src/a.ts' }, { path: 'src/b.ts', lines: [1, 20] }]);
    expect(msg.content.find((b) => b.type === 'text')).toMatchObject({ text: 'Reading two files now.' });
    expect(msg.usage.output_tokens).toBe(33);
    // SDK 1 sends the key as a bearer token.
    expect(emu.requests()[0]?.headers['authorization']).toBe('[REDACTED]');
  });
});

describe('OpenAI SDK', () => {
  const responsesParams = { model: 'gpt-5.2-codex', input: 'hi' };
  const chatParams = { model: 'gpt-5.2-codex', messages: [{ role: 'user' as const, content: 'hi' }] };

  it('parses a non-streamed response (Responses API)', async () => {
    const res = await openai().responses.create(responsesParams);
    expect(res.output_text).toBe('Reading two files now.');
    expect(res.output.filter((o) => o.type === 'function_call')).toHaveLength(2);
    expect(res.usage?.input_tokens_details.cached_tokens).toBe(80);
  });

  it('accumulates a streamed response (Responses API)', async () => {
    const res = await openai().responses.stream(responsesParams).finalResponse();
    expect(res.output_text).toBe('Reading two files now.');
    const calls = res.output.flatMap((o) => (o.type === 'function_call' ? [JSON.parse(o.arguments) as unknown] : []));
    expect(calls).toEqual([{ path: 'src/a.ts' }, { path: 'src/b.ts', lines: [1, 20] }]);
  });

  it('parses a non-streamed chat completion', async () => {
    const res = await openai().chat.completions.create(chatParams);
    expect(res.choices[0]?.message.tool_calls).toHaveLength(2);
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.usage?.prompt_tokens).toBe(200);
  });

  it('accumulates a streamed chat completion', async () => {
    const res = await openai()
      .chat.completions.stream({ ...chatParams, stream_options: { include_usage: true } })
      .finalChatCompletion();
    const calls = res.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? (JSON.parse(c.function.arguments) as unknown) : null))).toEqual([
      { path: 'src/a.ts' },
      { path: 'src/b.ts', lines: [1, 20] },
    ]);
    expect(res.choices[0]?.message.content).toBe('Reading two files now.');
    expect(res.usage?.completion_tokens).toBe(33);
  });
});

describe('Gemini SDK', () => {
  const params = { model: 'gemini-3-pro-preview', contents: 'hi' };

  it('parses a non-streamed response', async () => {
    const res = await gemini().models.generateContent(params);
    expect(res.text).toBe('Reading two files now.');
    expect(res.functionCalls?.map((c) => c.args)).toEqual([{ path: 'src/a.ts' }, { path: 'src/b.ts', lines: [1, 20] }]);
    expect(res.usageMetadata?.cachedContentTokenCount).toBe(80);
  });

  it('parses a streamed response', async () => {
    let text = '';
    const calls: unknown[] = [];
    for await (const chunk of await gemini().models.generateContentStream(params)) {
      for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
        if (part.text && !part.thought) text += part.text;
        if (part.functionCall) calls.push(part.functionCall.args);
      }
    }
    expect(text).toBe('Reading two files now.');
    expect(calls).toHaveLength(2);
    expect(emu.requests()[0]).toMatchObject({
      path: '/v1/models/gemini-3-pro-preview:streamGenerateContent',
      stream: true,
      query: { alt: 'sse' },
    });
  });
});
