import { afterEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_MARKER } from './loop.js';
import { agentHarness, eventsOf, type Harness } from './testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('runTurn: cancellation', () => {
  it('cancels mid-stream: the partial text stays in history, marked, and the turn reports cancelled', async () => {
    h = await agentHarness({ scenario: 'cancel.yaml' });
    const controller = new AbortController();
    const emit = h.ctx.emit;
    h.ctx.emit = (event) => {
      emit(event);
      if (event.type === 'assistant_delta') controller.abort();
    };
    const result = await h.run('explain the code', controller.signal);
    expect(result.stopReason).toBe('cancelled');
    expect(h.requests()).toHaveLength(1);
    const partial = h.ctx.history.at(-1);
    expect(partial?.role).toBe('assistant');
    expect(partial?.content.startsWith('Let me')).toBe(true);
    expect(partial?.content.endsWith(INTERRUPTED_MARKER)).toBe(true);
    expect(eventsOf(h.events, 'turn_interrupted')).toEqual([
      { type: 'turn_interrupted', reason: 'cancelled by the user' },
    ]);
    expect(eventsOf(h.events, 'assistant_message')[0]?.partial).toBe(true);
  });

  it('cancels a running command: it is stopped, its partial output goes into history, and no further request is made', async () => {
    // Prints, then idles for 30 s (one process, so the SIGINT cannot race a shell's fork).
    const slow = "console.log('started'); setTimeout(() => {}, 30_000);\n";
    h = await agentHarness({ scenario: 'cancel.yaml', files: { 'slow.js': slow } });
    const controller = new AbortController();
    const emit = h.ctx.emit;
    h.ctx.emit = (event) => {
      emit(event);
      if (event.type === 'tool_output' && event.line === 'started') controller.abort();
    };
    const result = await h.run('run the slow script', controller.signal);
    expect(result.stopReason).toBe('cancelled');
    expect(h.requests()).toHaveLength(1);
    const toolResult = h.ctx.history.at(-1);
    expect(toolResult?.role).toBe('tool');
    expect(toolResult?.toolCallId).toBe('s1');
    expect(toolResult?.content).toContain('started');
    expect(toolResult?.content).toContain('killed by SIGINT; output is partial');
    const finished = eventsOf(h.events, 'tool_finished')[0];
    expect(finished?.ok).toBe(false);
    expect(eventsOf(h.events, 'turn_interrupted')).toHaveLength(1);
  });

  it('cancels `sleep 30` as soon as it was spawned', async () => {
    const controller = new AbortController();
    h = await agentHarness({
      scenario: 'cancel.yaml',
      executor: { processLog: { spawned: () => controller.abort(), exited: () => {} } },
    });
    const result = await h.run('sleep', controller.signal);
    expect(result.stopReason).toBe('cancelled');
    expect(h.ctx.history.at(-1)).toMatchObject({
      role: 'tool',
      toolCallId: 's2',
      content: expect.stringContaining('stopped: cancelled by user; killed by SIGINT'),
    });
    expect(h.requests()).toHaveLength(1);
  });

  it('cancelled before the request: no model call at all', async () => {
    h = await agentHarness({ scenario: 'cancel.yaml' });
    const controller = new AbortController();
    controller.abort();
    const result = await h.run('explain', controller.signal);
    expect(result).toMatchObject({ stopReason: 'cancelled', messagesAdded: 2 });
    expect(h.ctx.history.at(-1)).toEqual({ role: 'assistant', content: '[no reply: interrupted by the user]' });
    expect(h.requests()).toHaveLength(0);
  });
});
