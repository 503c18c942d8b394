import { describe, expect, it } from 'vitest';
import { resolveReply } from './plan.js';
import type { Scenario } from './scenario.js';

const step = {
  reply: {
    toolCalls: [{ name: 'process_output', arguments: { id: '{{last /id (bg_\\S+),/}}', last_lines: 3, note: 'id x' } }],
  },
};
const scenario: Scenario = { steps: [step] };

describe('tool-call arguments from the last message', () => {
  it('fill "{{last /regex/}}" with the first group, from a tool result or user text', () => {
    const fromTool = resolveReply(scenario, step, 'anthropic', 1, { role: 'tool', text: 'Started: id bg_42, pid 7' });
    expect(fromTool.toolCalls[0]?.arguments).toEqual({ id: 'bg_42', last_lines: 3, note: 'id x' });
    const fromUser = resolveReply(scenario, step, 'anthropic', 1, { role: 'user', text: 'use id bg_7, please' });
    expect(fromUser.toolCalls[0]?.arguments).toMatchObject({ id: 'bg_7' });
  });

  it('leave the placeholder when nothing matches or there is no last message', () => {
    const placeholder = '{{last /id (bg_\\S+),/}}';
    expect(
      resolveReply(scenario, step, 'anthropic', 1, { role: 'tool', text: 'no id' }).toolCalls[0]?.arguments,
    ).toMatchObject({ id: placeholder });
    expect(resolveReply(scenario, step, 'anthropic', 0).toolCalls[0]?.arguments).toMatchObject({ id: placeholder });
  });
});
