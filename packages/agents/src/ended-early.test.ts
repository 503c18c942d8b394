import { afterEach, describe, expect, it } from 'vitest';
import { ErrorTier, SylkError } from '@sylk/core';
import { ProviderError } from '@sylk/llm';
import { causeOfError, causeOfPartial } from './ended-early.js';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SEEN = 'Reading the config';

/** The roles of the messages a request sent (Anthropic body). */
function rolesSent(harness: Harness, turn: number): string[] {
  const body = harness.requests().find((r) => r.turn === turn)?.body as { messages: Array<{ role: string }> };
  return body.messages.map((m) => m.role);
}

function textSent(harness: Harness, turn: number, index: number): string {
  const body = harness.requests().find((r) => r.turn === turn)?.body as { messages: Array<{ content: unknown }> };
  return JSON.stringify(body.messages[index]?.content);
}

/** Runs `input` (which ends early), then a follow-up turn; returns the follow-up request's view of the cut reply. */
async function cutThenFollowUp(harness: Harness, input: string): Promise<string> {
  const first = await harness.run(input);
  expect(first.stopReason).toBe('error');
  const followUp = await harness.run('again');
  expect(followUp.stopReason).toBe('end_turn');
  const turn = harness.requests().length - 1;
  expect(rolesSent(harness, turn)).toEqual(['user', 'assistant', 'user']);
  return textSent(harness, turn, 1);
}

describe('a reply that ended early', () => {
  it('dropped connection: keeps the text the user saw, marked "the connection dropped here"', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml' });
    const kept = await cutThenFollowUp(h, 'drop');
    expect(kept).toContain(SEEN);
    expect(kept).toContain('[the connection dropped here]');
    expect(kept).not.toContain('interrupted by the user');
    expect(eventsOf(h.events, 'assistant_message')[0]).toMatchObject({
      partial: true,
      text: expect.stringContaining('[the connection dropped here]'),
    });
  });

  it('overload after text: marked with what the provider reported', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml' });
    const kept = await cutThenFollowUp(h, 'overload');
    expect(kept).toContain(SEEN);
    expect(kept).toContain('[stopped: the provider reported overloaded_error]');
  });

  it('stalled stream: marked with how long the provider sent nothing', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml', streamLimits: { chunkTimeoutMs: 300 } });
    h.ctx.streamLimits = { chunkTimeout: 0.3 };
    const kept = await cutThenFollowUp(h, 'stall');
    expect(kept).toContain(SEEN);
    expect(kept).toContain('[stopped: the provider stopped sending for 0.3 s]');
  });

  it('size limit: keeps the text that fit, marked, and the error names the setting', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml', streamLimits: { maxTextBytes: 20 } });
    const first = await h.run('long');
    expect(first.error?.hint).toContain('llm.stream.max_text_bytes');
    await h.run('again');
    expect(rolesSent(h, 1)).toEqual(['user', 'assistant', 'user']);
    expect(textSent(h, 1, 1)).toBe(JSON.stringify(`${SEEN}\n\n[stopped: the reply reached its size limit]`));
  });

  it('a failure with no text: a no-reply marker keeps the roles alternating', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml' });
    const kept = await cutThenFollowUp(h, 'refuse');
    expect(kept).toBe(JSON.stringify('[no reply: the provider reported invalid_request_error]'));
  });

  it('a cut tool call is never kept as a call', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml' });
    const kept = await cutThenFollowUp(h, 'cut tool');
    expect(kept).toBe(JSON.stringify('Let me write it.\n\n[the connection dropped here]'));
    expect(h.permissionRequests).toEqual([]);
    expect(h.ctx.history.some((m) => m.toolCalls !== undefined)).toBe(false);
  });

  it('cancelled before any text: "[no reply: interrupted by the user]", then the next request alternates', async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml' });
    const controller = new AbortController();
    controller.abort();
    expect(await h.run('drop', controller.signal)).toMatchObject({ stopReason: 'cancelled', messagesAdded: 2 });
    expect(h.ctx.history.at(-1)).toEqual({ role: 'assistant', content: '[no reply: interrupted by the user]' });
    await h.run('again');
    expect(rolesSent(h, 0)).toEqual(['user', 'assistant', 'user']);
  });

  it("a history left open by a crash (last message the user's) is closed before the next input", async () => {
    h = await agentHarness({ scenario: 'ended-early.yaml' });
    h.ctx.history.push({ role: 'user', content: 'the task that died with sylkd' });
    await h.run('again');
    expect(rolesSent(h, 0)).toEqual(['user', 'assistant', 'user']);
    expect(textSent(h, 0, 1)).toBe(JSON.stringify('[no reply: the turn ended before the model answered]'));
  });

  it('names every stop of the gate truthfully', () => {
    const limits = { chunkTimeout: 60, maxDuration: 600 };
    expect(causeOfPartial('cancelled', limits).here).toBe('interrupted by the user');
    expect(causeOfPartial('chunk_timeout', limits).here).toBe('stopped: the provider stopped sending for 60 s');
    expect(causeOfPartial('max_duration', limits).here).toBe('stopped: the reply reached its time limit of 600 s');
    expect(causeOfPartial('budget_exceeded', limits).here).toBe('stopped: a budget limit was reached');
    expect(causeOfPartial('size_limit', limits).here).toBe('stopped: the reply reached its size limit');
    expect(causeOfPartial('preempted', limits).here).toBe('stopped: preempted by another request');
  });

  it('names a failed request by the codes along its cause chain', () => {
    const gateError = (cause: unknown) =>
      new SylkError('anthropic request failed', { code: 'llm.request_failed', tier: ErrorTier.Transient, cause });
    const inStream = { provider: 'anthropic' as const, inStream: true };
    expect(causeOfError(gateError(new ProviderError('socket hang up', inStream, { code: 'llm.network' })))).toEqual({
      here: 'the connection dropped here',
      plain: 'the connection to the provider failed',
    });
    expect(
      causeOfError(gateError(new ProviderError('ended early', inStream, { code: 'llm.stream_truncated' }))).here,
    ).toBe('the connection dropped here');
    expect(
      causeOfError(new SylkError('no output', { code: 'llm.first_output_timeout', tier: ErrorTier.Transient }), {
        firstOutput: 180,
      }).plain,
    ).toBe('the provider sent no output within 180 s');
    expect(
      causeOfError(new SylkError('nothing', { code: 'llm.stream_timeout', tier: ErrorTier.Transient }), {
        chunkTimeout: 60,
      }).plain,
    ).toBe('the provider sent nothing for 60 s');
    expect(
      causeOfError(
        gateError(
          new ProviderError(
            'Overloaded',
            { ...inStream, errorType: 'overloaded_error' },
            { code: 'llm.provider_degraded' },
          ),
        ),
      ).here,
    ).toBe('stopped: the provider reported overloaded_error');
    expect(causeOfError(new Error('boom')).plain).toBe('the request failed (error)');
  });
});
