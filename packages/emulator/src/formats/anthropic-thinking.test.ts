import { describe, expect, it } from 'vitest';
import { rejectThinkingRequest, thinkingSignature } from './anthropic-thinking.js';

const toolTurn = (assistant: unknown[]) => [
  { role: 'user', content: 'read it' },
  { role: 'assistant', content: assistant },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
];
const toolUse = { type: 'tool_use', id: 't1', name: 'read_file', input: {} };
const signed = (thinking: string) => ({ type: 'thinking', thinking, signature: thinkingSignature(thinking) });

describe('the emulator checks extended thinking as the Messages API does', () => {
  it('refuses a budget below 1024, not below max_tokens, or with a temperature', () => {
    const base = { max_tokens: 4096, messages: [{ role: 'user', content: 'hi' }] };
    expect(rejectThinkingRequest({ ...base, thinking: { type: 'enabled', budget_tokens: 1000 } })?.message).toContain(
      'greater than or equal to 1024',
    );
    expect(rejectThinkingRequest({ ...base, thinking: { type: 'enabled', budget_tokens: 4096 } })?.message).toContain(
      '`max_tokens` must be greater than `thinking.budget_tokens`',
    );
    expect(
      rejectThinkingRequest({ ...base, temperature: 0.2, thinking: { type: 'enabled', budget_tokens: 2048 } })?.message,
    ).toContain('`temperature` may only be set to 1');
    expect(rejectThinkingRequest({ ...base, thinking: { type: 'enabled', budget_tokens: 2048 } })).toBeUndefined();
  });

  it('with thinking on, tool results need their turn to start with its thinking block, signed for its text', () => {
    const thinking = { type: 'enabled', budget_tokens: 2048 };
    expect(
      rejectThinkingRequest({ max_tokens: 8192, thinking, messages: toolTurn([signed('plan'), toolUse]) }),
    ).toBeUndefined();
    expect(
      rejectThinkingRequest({
        max_tokens: 8192,
        thinking: { type: 'adaptive' },
        messages: toolTurn([{ type: 'redacted_thinking', data: 'x' }, toolUse]),
      }),
    ).toBeUndefined();
    const missing = rejectThinkingRequest({
      max_tokens: 8192,
      thinking,
      messages: toolTurn([{ type: 'text', text: 'reading' }, toolUse]),
    });
    expect(missing).toMatchObject({ status: 400, errorType: 'invalid_request_error' });
    expect(missing?.message).toContain(
      'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`',
    );
    const forged = rejectThinkingRequest({
      max_tokens: 8192,
      thinking,
      messages: toolTurn([{ ...signed('plan'), thinking: 'another plan' }, toolUse]),
    });
    expect(forged?.message).toContain('Invalid `signature`');
    // Thinking off: a turn without thinking blocks is fine.
    expect(rejectThinkingRequest({ max_tokens: 8192, messages: toolTurn([toolUse]) })).toBeUndefined();
  });
});
