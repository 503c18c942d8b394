import { afterEach, describe, expect, it } from 'vitest';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Block = { type: string; thinking?: string; signature?: string; data?: string };

describe('runTurn: extended thinking', () => {
  it('streams thinking as events, keeps the signed blocks and sends them back first with the tool results', async () => {
    h = await agentHarness({ scenario: 'thinking.yaml', files: { 'a.txt': 'hello\n' } });
    h.ctx.thinking = { budgetTokens: 2048 };
    h.ctx.maxTokens = 8192;
    const result = await h.run('read a.txt');
    expect(result.stopReason).toBe('end_turn');
    expect(h.requests()).toHaveLength(2);

    const thinking = eventsOf(h.events, 'thinking_delta')
      .map((e) => e.text)
      .join('');
    expect(thinking).toBe('The user wants the file.\nI should read it first.It says hello.');
    const first = h.requests()[0]?.body as { thinking: unknown; max_tokens: number };
    expect(first.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });

    // The follow-up (tool result) request: the assistant turn starts with its blocks, unchanged.
    const second = h.requests()[1]?.body as { messages: Array<{ role: string; content: Block[] | string }> };
    const assistant = second.messages[1]?.content as Block[];
    expect(assistant.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'text', 'tool_use']);
    expect(assistant[0]?.thinking).toBe('The user wants the file.\nI should read it first.');
    expect(assistant[0]?.signature).toMatch(/^emu_sig_/);
    expect(assistant[1]?.data).toBe('EuYBCkQYAiJA-opaque');
    expect(h.ctx.history[1]?.thinking).toHaveLength(2);
  });

  it('the emulator refuses the tool results when the thinking block was not sent back (as the API does)', async () => {
    h = await agentHarness({ scenario: 'thinking.yaml', files: { 'a.txt': 'hello\n' } });
    h.ctx.thinking = { budgetTokens: 2048 };
    const gate = h.ctx.gate;
    // A gate that drops the blocks from history, as the loop did before it kept them.
    h.ctx.gate = {
      stream: (req, signal) =>
        gate.stream(
          {
            ...req,
            request: { ...req.request, messages: req.request.messages.map(({ thinking: _dropped, ...m }) => m) },
          },
          signal,
        ),
    };
    const result = await h.run('read a.txt');
    expect(result.stopReason).toBe('error');
    expect(result.error?.message).toContain('Expected `thinking` or `redacted_thinking`');
  });

  it('a budget the API would refuse is a user-fixable error naming the setting', async () => {
    h = await agentHarness({ scenario: 'thinking.yaml', files: { 'a.txt': 'hello\n' } });
    h.ctx.thinking = { budgetTokens: 500 };
    const result = await h.run('read a.txt');
    expect(result.stopReason).toBe('error');
    expect(result.error).toMatchObject({ code: 'llm.invalid_thinking_budget', tier: 'user_fixable' });
    expect(result.error?.hint).toContain('thinking_budget_tokens');
    expect(h.requests()).toHaveLength(0);
  });
});
