import { describe, expect, it } from 'vitest';
import type { ExecResult } from '@sylk/tools';
import type { UsageRecord } from '@sylk/llm/gate';
import { MetricsRegistry, type MetricFamily } from './registry.js';
import { GateMetrics } from './gate-metrics.js';
import { toolMetrics } from './tool-metrics.js';

const values = (families: MetricFamily[], name: string) =>
  Object.fromEntries(
    (families.find((f) => f.name === name)?.samples ?? []).map((s) => [
      Object.values(s.labels).join('|'),
      s.count ?? s.value,
    ]),
  );

const usage = (over: Partial<UsageRecord>): UsageRecord => ({
  ts: 0,
  requestId: 'llm_1',
  sessionId: 'sess_secret_id',
  provider: 'anthropic',
  model: 'claude-x',
  inputTokens: 100,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0.001,
  latencyMs: 1500,
  outcome: 'ok',
  ...over,
});

describe('GateMetrics.recordUsage', () => {
  it('counts attempts, tokens by kind, cost and latency; odd outcomes read "other"; no session id', () => {
    const r = new MetricsRegistry();
    const gate = new GateMetrics(r);
    gate.recordUsage(usage({}));
    gate.recordUsage(usage({ outcome: 'error:transient', cacheReadTokens: 50, latencyMs: 200 }));
    gate.recordUsage(usage({ outcome: 'Weird Outcome With Spaces', outputTokens: 0 }));
    const s = r.snapshot();
    expect(values(s, 'sylk_gate_attempts_total')).toEqual({
      'anthropic|claude-x|ok': 1,
      'anthropic|claude-x|error:transient': 1,
      'anthropic|claude-x|other': 1,
    });
    expect(values(s, 'sylk_gate_tokens_total')).toEqual({
      'anthropic|claude-x|input': 300,
      'anthropic|claude-x|output': 20,
      'anthropic|claude-x|cache_read': 50,
    });
    expect(values(s, 'sylk_gate_cost_usd_total')['anthropic|claude-x']).toBeCloseTo(0.003);
    expect(values(s, 'sylk_gate_attempt_duration_seconds')).toEqual({ anthropic: 3 });
    expect(JSON.stringify(s)).not.toContain('sess_secret_id');
  });
});

describe('toolMetrics', () => {
  const result = (over: Partial<ExecResult>): ExecResult =>
    ({
      id: 'x',
      command: 'true',
      exitCode: 0,
      signal: null,
      timedOut: false,
      partial: false,
      durationMs: 30,
      pid: 42,
      pgid: 42,
      ...over,
    }) as ExecResult;

  it('counts spawns, exits by outcome, durations and kills', () => {
    const r = new MetricsRegistry();
    const tools = toolMetrics(r);
    tools.spawned(false);
    tools.spawned(true);
    tools.exited(result({}), false);
    tools.exited(result({ exitCode: 1 }), false);
    tools.exited(
      result({
        exitCode: 124,
        timedOut: true,
        durationMs: 5000,
        killed: { signalsSent: ['SIGINT', 'SIGTERM'], endedBy: 'SIGTERM', durationMs: 50, leftoversKilled: 0 },
      }),
      false,
    );
    tools.exited(result({ exitCode: null, signal: 'SIGKILL' }), true);
    tools.exited(result({ pid: 0, exitCode: 127 }), false);
    const s = r.snapshot();
    expect(values(s, 'sylk_tool_spawns_total')).toEqual({ foreground: 1, background: 1 });
    expect(values(s, 'sylk_tool_exits_total')).toEqual({
      'foreground|ok': 1,
      'foreground|error': 1,
      'foreground|timeout': 1,
      'background|signal': 1,
      'foreground|not_started': 1,
    });
    expect(values(s, 'sylk_tool_duration_seconds')).toEqual({ foreground: 4, background: 1 });
    expect(values(s, 'sylk_tool_kills_total')).toEqual({ SIGTERM: 1 });
  });
});
