import { describe, expect, it } from 'vitest';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import type { Message, ToolDefinition } from '../types.js';
import { CHARS_PER_TOKEN, estimateTokens, openaiEncoding } from './tokens.js';

const prose = 'The scheduler keeps a binary heap of pending requests ordered by priority, then by arrival. ';
const code =
  'export function formatDate(d: Date): string {\n  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;\n}\n';
const messages: Message[] = [
  { role: 'user', content: prose.repeat(20) },
  {
    role: 'assistant',
    content: 'Reading it.',
    toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: 'src/format.ts' } }],
  },
  { role: 'tool', toolCallId: 'c1', content: code.repeat(10) },
];
const tools: ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read a file from the project',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
];
const request = { messages, tools, systemPrompt: 'You are a careful coding agent.' };

/** Reference: the o200k tokenizer over the same text, without framing overhead. */
function reference(): number {
  const enc = new Tiktoken(o200k);
  const text = [
    request.systemPrompt,
    ...messages.map((m) => m.content + (m.toolCalls ?? []).map((c) => c.name + JSON.stringify(c.arguments)).join('')),
    ...tools.map((t) => t.name + t.description + JSON.stringify(t.parameters)),
  ].join('\n');
  return enc.encode(text).length;
}

describe('token estimates', () => {
  it('OpenAI models use BPE and land within ±10% of the tokenizer', () => {
    expect(openaiEncoding('gpt-5.2-codex')).toBe('o200k_base');
    const estimate = estimateTokens({ ...request, model: 'gpt-5.2-codex' });
    expect(Math.abs(estimate - reference()) / reference()).toBeLessThan(0.1);
  });

  it('other models use ~4 chars/token, within ±25% of the tokenizer on this mix', () => {
    expect(CHARS_PER_TOKEN).toBe(4);
    const estimate = estimateTokens({ ...request, model: 'claude-sonnet-4-5-20250901' });
    expect(Math.abs(estimate - reference()) / reference()).toBeLessThan(0.25);
  });

  it('counts the system prompt, tool calls and tool definitions', () => {
    const base = estimateTokens({ messages: [{ role: 'user', content: 'hi' }], model: 'claude-x' });
    expect(
      estimateTokens({ messages: [{ role: 'user', content: 'hi' }], model: 'claude-x', systemPrompt: 'x'.repeat(400) }),
    ).toBeGreaterThanOrEqual(base + 100);
    expect(estimateTokens({ messages: [{ role: 'user', content: 'hi' }], model: 'claude-x', tools })).toBeGreaterThan(
      base + 20,
    );
    expect(
      estimateTokens({
        messages: [
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'a', name: 'run', arguments: { command: 'y'.repeat(400) } }],
          },
        ],
        model: 'claude-x',
      }),
    ).toBeGreaterThan(100);
  });
});
