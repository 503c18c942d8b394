import { ErrorTier, ManualClock, SylkError } from '@sylk/core';
import type { GateRequest, GateStream, LLMResponse } from '@sylk/llm';
import { describe, expect, it } from 'vitest';
import { otlpTraceBody, type FinishedSpan } from './spans.js';
import { TurnTracer } from './turn-tracer.js';

function setup() {
  const spans: FinishedSpan[] = [];
  const clock = new ManualClock(1_700_000_000_000);
  let n = 0;
  const tracer = new TurnTracer({
    sink: { add: (s) => spans.push(s) },
    clock,
    random: (bytes) => new Uint8Array(bytes).fill(++n),
    costOf: (_model, usage) => usage.inputTokens / 1000,
  });
  return { spans, clock, tracer };
}

function stream(id: string): { stream: GateStream; settle(r: LLMResponse): void; fail(e: unknown): void } {
  let settle!: (r: LLMResponse) => void;
  let fail!: (e: unknown) => void;
  const response = new Promise<LLMResponse>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const s = {
    id,
    response,
    [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
  };
  return { stream: s as unknown as GateStream, settle, fail };
}

const request = {
  provider: 'anthropic',
  priority: 0,
  request: { model: 'claude-x', messages: [] },
} as unknown as GateRequest;
const usage = { inputTokens: 100, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 };
const tick = () => new Promise((r) => setImmediate(r));

describe('TurnTracer', () => {
  it('makes a root span per turn with model-request and tool spans as children, with retries', async () => {
    const { spans, clock, tracer } = setup();
    const turn = tracer.turn('s_1', 'anthropic', 'claude-x');
    clock.advance(1);
    const first = stream('r1');
    turn.request(first.stream, request);
    clock.advance(0.25);
    tracer.retryScheduled({
      requestId: 'r1',
      sessionId: 's_1',
      provider: 'anthropic',
      tier: ErrorTier.Transient,
      attempt: 1,
      maxRetries: 3,
      delayMs: 500,
      error: 'upstream said: key sk-secret is bad',
      code: 'llm.server_error',
    });
    tracer.retryScheduled({ ...({} as never), requestId: 'other' }); // not this turn's: ignored
    clock.advance(10);
    first.settle({ content: 'secret reply', model: 'claude-x-1', stopReason: 'tool_use', usage, toolCalls: [] });
    await tick();
    turn.event({
      type: 'tool_started',
      callId: 'c1',
      name: 'run_command',
      args: { command: 'echo sk-secret' },
      summary: 'echo sk-secret',
    });
    clock.advance(5);
    turn.event({ type: 'tool_output', callId: 'c1', stream: 'stdout', line: 'sk-secret' });
    turn.event({
      type: 'tool_finished',
      callId: 'c1',
      name: 'run_command',
      ok: false,
      isError: false,
      durationMs: 5,
      summary: 'exit 1',
      exit: { code: 1, signal: null, timedOut: false },
    });
    const second = stream('r2');
    turn.request(second.stream, request);
    second.fail(new SylkError('boom sk-secret', { code: 'llm.overloaded', tier: ErrorTier.Transient }));
    await tick();
    turn.event({ type: 'tool_started', callId: 'c2', name: 'read_file', args: {}, summary: '' });
    clock.advance(1);
    turn.end('error');

    const byName = (name: string) => spans.filter((s) => s.name === name);
    const root = byName('turn')[0] as FinishedSpan;
    expect(root.parentSpanId).toBeUndefined();
    expect(root.traceId).toHaveLength(32);
    expect(root.attributes).toMatchObject({
      'sylk.session.id': 's_1',
      'sylk.turn.outcome': 'error',
      'sylk.turn.model_requests': 2,
      'sylk.turn.tool_calls': 2,
    });
    expect(root.error).toBe('error');
    expect(root.endNs - root.startNs).toBe(17_250_000n);
    for (const s of spans.filter((x) => x !== root)) {
      expect(s.traceId).toBe(root.traceId);
      expect(s.parentSpanId).toBe(root.spanId);
    }
    const [ok, failed] = byName('chat claude-x');
    expect(ok?.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.response.model': 'claude-x-1',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 7,
      'sylk.cost_usd': 0.1,
      'sylk.retries': 1,
      'sylk.outcome': 'ok',
    });
    expect(ok?.events).toEqual([
      {
        name: 'retry',
        timeNs: (ok?.startNs ?? 0n) + 250_000n,
        attributes: {
          attempt: 1,
          'error.type': 'llm.server_error',
          'sylk.error.tier': 'transient',
          'sylk.delay_ms': 500,
        },
      },
    ]);
    expect(ok?.endNs).toBe((ok?.startNs ?? 0n) + 10_250_000n);
    expect(failed?.attributes['sylk.outcome']).toBe('error:llm.overloaded');
    expect(failed?.error).toBe('llm.overloaded');
    expect(byName('execute_tool run_command')[0]).toMatchObject({
      attributes: {
        'gen_ai.tool.name': 'run_command',
        'sylk.tool.outcome': 'failed',
        'sylk.tool.duration_ms': 5,
        'process.exit.code': 1,
        'error.type': 'failed',
      },
      error: 'failed',
    });
    // A call the turn never finished is closed with it.
    expect(byName('execute_tool read_file')[0]?.attributes['sylk.tool.outcome']).toBe('unfinished');
    // Nothing the model, a tool or an error said reaches a span.
    expect(JSON.stringify(otlpTraceBody(spans, 'sylkd'))).not.toContain('secret');
  });

  it('records how a command ended: exit code, timeout, kill; a refused call is an error', () => {
    const { spans, tracer } = setup();
    const turn = tracer.turn('s_1', 'anthropic', 'claude-x');
    const ends = [
      { callId: 'ok', ok: true, isError: false, exit: { code: 0, signal: null, timedOut: false } },
      { callId: 'slow', ok: false, isError: false, exit: { code: 124, signal: null, timedOut: true } },
      { callId: 'killed', ok: false, isError: false, exit: { code: null, signal: 'SIGKILL', timedOut: false } },
      { callId: 'refused', ok: false, isError: true },
    ];
    for (const end of ends) {
      turn.event({ type: 'tool_started', callId: end.callId, name: 'run_command', args: {}, summary: '' });
      turn.event({ type: 'tool_finished', name: 'run_command', durationMs: 1, summary: '', ...end });
    }
    turn.end('ok');
    const tool = (id: string) => spans.find((s) => s.attributes['gen_ai.tool.call.id'] === id) as FinishedSpan;
    expect(tool('ok').attributes).toMatchObject({ 'process.exit.code': 0, 'sylk.tool.outcome': 'ok' });
    expect(tool('ok').attributes).not.toHaveProperty('error.type');
    expect(tool('ok').error).toBeUndefined();
    expect(tool('slow')).toMatchObject({
      attributes: { 'process.exit.code': 124, 'sylk.process.timed_out': true, 'error.type': 'timed_out' },
      error: 'timed_out',
    });
    expect(tool('killed')).toMatchObject({
      attributes: { 'sylk.process.signal': 'SIGKILL', 'sylk.tool.outcome': 'killed' },
      error: 'killed',
    });
    expect(tool('killed').attributes).not.toHaveProperty('process.exit.code');
    expect(tool('refused')).toMatchObject({ attributes: { 'sylk.tool.outcome': 'error' }, error: 'error' });
    expect(tool('refused').attributes).not.toHaveProperty('process.exit.code');
  });

  it("puts a delegated task's turns under the spawn_task call that started it, in the parent's trace", () => {
    const { spans, tracer } = setup();
    const parent = tracer.turn('s_1', 'anthropic', 'claude-x');
    expect(tracer.spawnParent('s_1')).toBeUndefined();
    parent.event({ type: 'tool_started', callId: 'c1', name: 'read_file', args: {}, summary: '' });
    parent.event({ type: 'tool_started', callId: 'c2', name: 'spawn_task', args: {}, summary: '' });
    const context = tracer.spawnParent('s_1');
    expect(tracer.spawnParent('s_2')).toBeUndefined();
    parent.event({
      type: 'tool_finished',
      callId: 'c2',
      name: 'spawn_task',
      ok: true,
      isError: false,
      durationMs: 1,
      summary: '',
    });
    parent.end('ok');
    // The parent's turn is over: nothing more is spawned from it.
    expect(tracer.spawnParent('s_1')).toBeUndefined();

    // The task runs after the parent's turn ended (a task outlives the call that started it).
    const run = { sessionId: 's_1', taskId: 't1', role: 'explorer', provider: 'anthropic', model: 'claude-x' };
    const task = tracer.taskTurn({ ...run, resumed: false }, context);
    task.event({ type: 'tool_started', callId: 'k1', name: 'run_command', args: {}, summary: '' });
    task.end('ok');
    tracer.taskTurn({ ...run, resumed: true }, context).end('cancelled');
    tracer.taskTurn({ ...run, resumed: false }, undefined).end('ok');

    const spawn = spans.find((s) => s.name === 'execute_tool spawn_task') as FinishedSpan;
    const root = spans.find((s) => s.name === 'turn' && s.parentSpanId === undefined) as FinishedSpan;
    expect(context).toEqual({ traceId: root.traceId, spanId: spawn.spanId });
    const runs = spans.filter((s) => s.attributes['sylk.task.id'] === 't1');
    expect(runs.map((s) => [s.name, s.attributes['sylk.task.resumed'], s.error])).toEqual([
      ['turn', false, undefined],
      ['turn', true, 'cancelled'],
      ['turn', false, undefined],
    ]);
    const [first, second, orphan] = runs as [FinishedSpan, FinishedSpan, FinishedSpan];
    for (const r of [first, second]) {
      expect(r).toMatchObject({ traceId: root.traceId, parentSpanId: spawn.spanId });
      expect(r.attributes).toMatchObject({ 'sylk.session.id': 's_1', 'sylk.task.role': 'explorer' });
    }
    const taskTool = spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'k1');
    expect(taskTool).toMatchObject({ traceId: root.traceId, parentSpanId: first.spanId });
    // No spawn_task span to hang from: a trace of its own.
    expect(orphan.parentSpanId).toBeUndefined();
    expect(orphan.traceId).not.toBe(root.traceId);
  });

  it('encodes spans as OTLP JSON: hex ids, nanosecond strings, typed attributes, status', () => {
    const body = otlpTraceBody(
      [
        {
          traceId: 'ab'.repeat(16),
          spanId: 'cd'.repeat(8),
          name: 'turn',
          kind: 1,
          startNs: 1_700_000_000_000_000_001n,
          endNs: 1_700_000_000_500_000_000n,
          attributes: { s: 'x', i: 3, d: 0.5, b: true },
          events: [],
          error: 'cancelled',
        },
      ],
      'svc',
    );
    const span = body.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(body.resourceSpans[0]?.resource.attributes[0]).toEqual({
      key: 'service.name',
      value: { stringValue: 'svc' },
    });
    expect(span).toMatchObject({
      startTimeUnixNano: '1700000000000000001',
      endTimeUnixNano: '1700000000500000000',
      attributes: [
        { key: 's', value: { stringValue: 'x' } },
        { key: 'i', value: { intValue: '3' } },
        { key: 'd', value: { doubleValue: 0.5 } },
        { key: 'b', value: { boolValue: true } },
      ],
      status: { code: 2, message: 'cancelled' },
    });
    expect(span).not.toHaveProperty('parentSpanId');
  });
});
