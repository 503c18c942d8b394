import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runTurn: replies cut at the output limit', () => {
  it('never runs a cut call, tells the model how to go on, and stops after two cut replies in a row', async () => {
    h = await agentHarness({ scenario: 'output-limit.yaml', files: { 'a.txt': 'alpha\n' } });
    h.ctx.maxTokens = 512;
    const result = await h.run('write the big file');

    expect(h.requests()).toHaveLength(2);
    expect(existsSync(join(h.project, 'big.txt'))).toBe(false);
    expect(h.permissionRequests).toEqual([]); // the cut write never got as far as asking
    // The complete call of the first reply ran; the cut one was answered, in call order.
    const [read, cut] = h.toolResultsSent(1);
    expect(read).toMatchObject({ tool_use_id: 'r1', content: '     1\talpha' });
    expect(cut?.tool_use_id).toBe('w1');
    expect(cut?.is_error).toBe(true);
    expect(cut?.content).toContain(
      'Not run: your reply hit the output token limit (512 tokens) while you were writing this write_file call',
    );
    expect(cut?.content).toContain('(path big.txt)');
    expect(cut?.content).toContain('edit_file instead of rewriting');
    expect(eventsOf(h.events, 'tool_started').map((e) => e.callId)).toEqual(['r1']);

    expect(result.stopReason).toBe('error');
    expect(result.error).toMatchObject({ code: 'agents.output_limit', tier: 'user_fixable' });
    expect(result.error?.hint).toContain('sessions.max_output_tokens');
    expect(result.error?.hint).toContain(`llm.providers.anthropic.models.${h.ctx.model}.max_output_tokens`);
    expect(
      eventsOf(h.events, 'notice').filter((n) =>
        n.message.includes('hit the output limit (512 tokens) in the middle of a write_file call'),
      ),
    ).toHaveLength(2);
    // The history keeps the cut calls without their partial arguments, each answered.
    const calls = h.ctx.history.flatMap((m) => m.toolCalls ?? []);
    expect(calls.filter((c) => c.name === 'write_file')).toEqual([
      { id: 'w1', name: 'write_file', arguments: {} },
      { id: 'w2', name: 'write_file', arguments: {} },
    ]);
    const answered = new Set(h.ctx.history.filter((m) => m.role === 'tool').map((m) => m.toolCallId));
    expect(calls.every((c) => answered.has(c.id))).toBe(true);
  });

  it('counts only cut replies in a row: a complete reply in between lets the turn go on', async () => {
    h = await agentHarness({ scenario: 'output-limit.yaml', files: { 'a.txt': 'alpha\n' } });
    h.ctx.maxTokens = 512;
    const result = await h.run('try in parts');
    expect(result.stopReason).toBe('end_turn');
    // A call cut before its first argument is cut too; the next, complete one ran.
    expect(h.toolResultsSent(1)[0]?.content).toContain('cut off after 0 characters');
    expect(readFileSync(join(h.project, 'big.txt'), 'utf8')).toBe('part one\n');
    expect(h.ctx.history.at(-1)?.content).toBe('Written in parts.');
  });
});
