// Thinking and reasoning through every adapter that has it, against sylk-emulator over HTTP:
// Anthropic's signed and redacted blocks (streamed and not streamed) and
// their round-trip, the configured budget, and OpenAI reasoning effort from that budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSylkError } from '@sylk/core';
import { startEmulator, type Emulator } from '@sylk/emulator';
import {
  ProviderError,
  type LLMRequest,
  type LLMResponse,
  type Message,
  type ProviderAdapter,
  type StreamChunk,
} from '../types.js';
import { createAdapter } from './factory.js';
import { accumulate } from './stream.js';

const KEY = 'sk-test-thinking-key-0123456789abcdef';
const MODEL = 'claude-sonnet-4-5-20250929';
const THINKING = 'The test wants a newline.\nCheck the formatter.';
const TOOL = {
  name: 'read_file',
  description: 'Read a file',
  parameters: { type: 'object', properties: { path: { type: 'string' } } },
};

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: KEY, steps: [{ reply: { text: 'x' } }] } });
});
afterAll(async () => emu.close());

function thinkThenCall(): void {
  emu.setScenario({
    apiKey: KEY,
    defaults: { chunkSize: 5 },
    steps: [
      { match: { lastTool: 'formatter' }, reply: { text: 'Done.' } },
      {
        reply: {
          thinking: THINKING,
          redactedThinking: 'opaque-redacted-data',
          text: 'Reading.',
          toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: 'f.ts' } }],
        },
      },
    ],
  });
  emu.reset();
}

const anthropicConfig = { provider: 'anthropic' as const, apiKey: KEY, baseUrl: '' };
const make = (): ProviderAdapter => createAdapter({ ...anthropicConfig, baseUrl: emu.url });

const request = (messages: Message[], extra: Partial<LLMRequest> = {}): LLMRequest => ({
  model: MODEL,
  messages,
  tools: [TOOL],
  maxTokens: 4096,
  thinking: { budgetTokens: 1024 },
  ...extra,
});

/** The follow-up request: the reply (as the agent loop keeps it) and its tool result. */
function followUp(first: LLMResponse, keepThinking: boolean): Message[] {
  return [
    { role: 'user', content: 'fix it' },
    {
      role: 'assistant',
      content: first.content,
      toolCalls: first.toolCalls,
      ...(keepThinking && first.thinkingBlocks ? { thinking: first.thinkingBlocks } : {}),
    },
    { role: 'tool', toolCallId: 'c1', content: 'export function formatter() {}' },
  ];
}

describe('anthropic thinking blocks', () => {
  it('streams thinking deltas, the signature and a redacted block; the response keeps the blocks in order', async () => {
    thinkThenCall();
    const chunks: StreamChunk[] = [];
    const res = await accumulate(
      (async function* () {
        for await (const c of make().stream(request([{ role: 'user', content: 'fix it' }]))) {
          chunks.push(c);
          yield c;
        }
      })(),
    );
    expect(chunks.filter((c) => c.type === 'thinking').length).toBeGreaterThan(3);
    expect(chunks.filter((c) => c.type === 'thinking_signature')).toHaveLength(1);
    expect(chunks.find((c) => c.type === 'redacted_thinking')).toEqual({
      type: 'redacted_thinking',
      data: 'opaque-redacted-data',
    });
    expect(res.thinking).toBe(THINKING);
    expect(res.thinkingBlocks).toEqual([
      { type: 'thinking', thinking: THINKING, signature: expect.stringMatching(/^emu_sig_/) },
      { type: 'redacted_thinking', data: 'opaque-redacted-data' },
    ]);
    expect(emu.requests()[0]?.body).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 1024 },
      max_tokens: 4096,
    });
  });

  it('sends the blocks back first with the tool result (accepted); without them the API refuses with 400', async () => {
    thinkThenCall();
    const first = await accumulate(make().stream(request([{ role: 'user', content: 'fix it' }])));
    const ok = await accumulate(make().stream(request(followUp(first, true))));
    expect(ok.content).toBe('Done.');
    const sent = emu.requests()[1]?.body as { messages: Array<{ content: Array<{ type: string }> }> };
    expect(sent.messages[1]?.content.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'text', 'tool_use']);

    const refused = await accumulate(make().stream(request(followUp(first, false)))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).info.status).toBe(400);
    expect((refused as ProviderError).message).toContain('Expected `thinking` or `redacted_thinking`');
  });

  it('a changed thinking block is refused (the signature covers its text)', async () => {
    thinkThenCall();
    const first = await accumulate(make().stream(request([{ role: 'user', content: 'fix it' }])));
    const messages = followUp(first, true);
    const assistant = messages[1] as Message;
    assistant.thinking = assistant.thinking?.map((b) =>
      b.type === 'thinking' ? { ...b, thinking: `${b.thinking} (edited)` } : b,
    );
    const refused = await accumulate(make().stream(request(messages))).catch((e: unknown) => e);
    expect((refused as ProviderError).message).toContain('Invalid `signature`');
  });

  it('refuses a budget below 1024 or not below max_tokens with an error that names the setting', async () => {
    thinkThenCall();
    for (const [budget, maxTokens] of [
      [512, 4096],
      [4096, 4096],
    ] as const) {
      const err = await accumulate(
        make().stream(
          request([{ role: 'user', content: 'fix it' }], { thinking: { budgetTokens: budget }, maxTokens }),
        ),
      ).catch((e: unknown) => e);
      expect(isSylkError(err) && err.code).toBe('llm.invalid_thinking_budget');
      expect(isSylkError(err) && err.hint).toContain(`llm.providers.anthropic.models.${MODEL}.thinking_budget_tokens`);
    }
    expect(emu.requests()).toHaveLength(0);
  });

  it('refuses sampling settings, which the Messages API no longer takes, before sending', async () => {
    thinkThenCall();
    const err = await accumulate(
      make().stream(request([{ role: 'user', content: 'fix it' }], { temperature: 0.2, topK: 5 })),
    ).catch((e: unknown) => e);
    expect(isSylkError(err) && err.code).toBe('llm.unsupported_parameter');
    expect(isSylkError(err) && err.message).toContain('temperature, top_k');
    expect(emu.requests()).toHaveLength(0);
  });
});

describe('thinking elsewhere', () => {
  it('Anthropic: consecutive messages of one role are joined, so roles alternate (tool results, then new input)', async () => {
    emu.setScenario({
      apiKey: KEY,
      steps: [{ match: { lastUser: 'new input' }, reply: { text: 'ok' } }, { reply: { text: 'UNEXPECTED' } }],
    });
    emu.reset();
    const res = await accumulate(
      createAdapter({ ...anthropicConfig, baseUrl: emu.url }).stream({
        model: MODEL,
        messages: [
          { role: 'user', content: 'run it' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'run', arguments: {} }] },
          { role: 'tool', toolCallId: 'c1', content: 'cancelled' },
          { role: 'user', content: 'new input' },
        ],
      }),
    );
    expect(res.content).toBe('ok');
    const sent = (emu.requests()[0]?.body as { messages: Array<{ role: string; content: Array<{ type: string }> }> })
      .messages;
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sent[2]?.content.map((b) => b.type)).toEqual(['tool_result', 'text']);
  });

  it('non-streaming Anthropic responses carry the blocks too', async () => {
    thinkThenCall();
    const res = await createAdapter({ ...anthropicConfig, baseUrl: emu.url }).generate(
      request([{ role: 'user', content: 'fix it' }]),
    );
    expect(res.thinkingBlocks?.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking']);
  });

  it('models that think adaptively get adaptive thinking from a configured budget (they take no budget)', async () => {
    thinkThenCall();
    await accumulate(
      createAdapter({ ...anthropicConfig, baseUrl: emu.url }).stream(
        request([{ role: 'user', content: 'fix it' }], { model: 'claude-sonnet-4-6' }),
      ),
    );
    const body = emu.requests()[0]?.body as Record<string, unknown>;
    expect(body['thinking']).toEqual({ type: 'adaptive' });
    expect(body['output_config']).toBeUndefined();
  });

  it('OpenAI: a configured budget becomes a reasoning effort on reasoning models only; other providers ignore thinking blocks', async () => {
    emu.setScenario({ apiKey: KEY, steps: [{ reply: { text: 'ok', thinking: 'reasoning here' } }] });
    const openai = createAdapter({ provider: 'openai', apiKey: KEY, baseUrl: `${emu.url}/v1` });
    const history: Message[] = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b', thinking: [{ type: 'thinking', thinking: 't', signature: 's' }] },
      { role: 'user', content: 'c' },
    ];
    const cases: Array<[Partial<LLMRequest>, Record<string, unknown>]> = [
      [{ model: 'gpt-5.2-codex', openaiApi: 'chat', thinking: { budgetTokens: 2000 } }, { reasoning_effort: 'low' }],
      [
        { model: 'gpt-5.2-codex', openaiApi: 'responses', thinking: { budgetTokens: 20_000 } },
        { reasoning: { effort: 'high', summary: 'auto' } },
      ],
    ];
    for (const [extra, expected] of cases) {
      emu.reset();
      const res = await accumulate(openai.stream({ model: '', messages: history, ...extra }));
      expect(res.thinking).toBe('reasoning here');
      const body = emu.requests()[0]?.body as Record<string, unknown>;
      expect(body).toMatchObject(expected);
      expect(JSON.stringify(body)).not.toContain('"signature"');
    }
    emu.reset();
    await accumulate(
      openai.stream({ model: 'gpt-4o', openaiApi: 'chat', messages: history, thinking: { budgetTokens: 2000 } }),
    );
    expect((emu.requests()[0]?.body as Record<string, unknown>)['reasoning_effort']).toBeUndefined();
  });
});
