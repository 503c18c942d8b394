import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './registry.js';
import { prometheusText } from './exposition.js';

describe('MetricsRegistry', () => {
  it('writes the text exposition format exactly', () => {
    const r = new MetricsRegistry();
    const requests = r.counter({
      name: 'sylk_gate_attempts_total',
      help: 'Provider attempts.',
      labelNames: ['provider', 'outcome'],
    });
    requests.inc(1, 'anthropic', 'ok');
    requests.inc(2, 'anthropic', 'ok');
    requests.inc(1, 'openai', 'error');
    r.gauge({ name: 'sylk_session_loaded', help: 'Loaded sessions.' }).set(3);
    r.collect({
      name: 'sylk_pool_in_use',
      help: 'Units held.',
      type: 'gauge',
      labelNames: ['pool'],
      collect: (emit) => {
        emit(2, 'subprocesses');
        emit(0.5, 'network');
      },
    });
    expect(prometheusText(r.snapshot())).toBe(
      [
        '# HELP sylk_gate_attempts_total Provider attempts.',
        '# TYPE sylk_gate_attempts_total counter',
        'sylk_gate_attempts_total{provider="anthropic",outcome="ok"} 3',
        'sylk_gate_attempts_total{provider="openai",outcome="error"} 1',
        '# HELP sylk_session_loaded Loaded sessions.',
        '# TYPE sylk_session_loaded gauge',
        'sylk_session_loaded 3',
        '# HELP sylk_pool_in_use Units held.',
        '# TYPE sylk_pool_in_use gauge',
        'sylk_pool_in_use{pool="subprocesses"} 2',
        'sylk_pool_in_use{pool="network"} 0.5',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and help text', () => {
    const r = new MetricsRegistry();
    r.counter({ name: 'sylk_x_total', help: 'a \\ back\nslash', labelNames: ['model'] }).inc(1, 'q"uo\\te\nd');
    expect(prometheusText(r.snapshot())).toBe(
      [
        '# HELP sylk_x_total a \\\\ back\\nslash',
        '# TYPE sylk_x_total counter',
        'sylk_x_total{model="q\\"uo\\\\te\\nd"} 1',
        '',
      ].join('\n'),
    );
  });

  it('counts histogram observations into cumulative buckets with +Inf, sum and count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram({
      name: 'sylk_tool_duration_seconds',
      help: 'Durations.',
      labelNames: ['mode'],
      buckets: [0.1, 1, 10],
    });
    for (const v of [0.05, 0.1, 0.5, 3, 20]) h.observe(v, 'foreground');
    expect(prometheusText(r.snapshot())).toBe(
      [
        '# HELP sylk_tool_duration_seconds Durations.',
        '# TYPE sylk_tool_duration_seconds histogram',
        'sylk_tool_duration_seconds_bucket{mode="foreground",le="0.1"} 2',
        'sylk_tool_duration_seconds_bucket{mode="foreground",le="1"} 3',
        'sylk_tool_duration_seconds_bucket{mode="foreground",le="10"} 4',
        'sylk_tool_duration_seconds_bucket{mode="foreground",le="+Inf"} 5',
        'sylk_tool_duration_seconds_sum{mode="foreground"} 23.65',
        'sylk_tool_duration_seconds_count{mode="foreground"} 5',
        '',
      ].join('\n'),
    );
    const [family] = r.snapshot();
    expect(family?.area).toBe('tool');
    expect(family?.samples[0]?.buckets?.map((b) => b.count)).toEqual([2, 3, 4, 5]);
  });

  it('keeps the number of series bounded', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'sylk_gate_tokens_total', help: 'h', labelNames: ['model'], maxSeries: 2 });
    for (const m of ['a', 'b', 'c', 'd']) c.inc(1, m);
    const samples = r.snapshot()[0]?.samples ?? [];
    expect(samples.map((s) => [s.labels.model, s.value])).toEqual([
      ['a', 1],
      ['b', 1],
      ['_other', 2],
    ]);
  });

  it('refuses bad definitions and wrong label counts', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter({ name: 'bad-name', help: 'h' })).toThrow(/invalid metric name/);
    expect(() => r.histogram({ name: 'sylk_h', help: 'h', buckets: [1, 1] })).toThrow(/ascending/);
    expect(() => r.histogram({ name: 'sylk_h2', help: 'h', labelNames: ['le'], buckets: [1] })).toThrow(/reserved/);
    const c = r.counter({ name: 'sylk_c_total', help: 'h', labelNames: ['a'] });
    expect(() => r.counter({ name: 'sylk_c_total', help: 'h' })).toThrow(/twice/);
    expect(() => c.inc(1)).toThrow(/takes labels a/);
    expect(() => c.inc(-1, 'x')).toThrow(/cannot go down/);
  });

  it('leaves a family empty when its collector throws, and says which', () => {
    const r = new MetricsRegistry();
    r.collect({
      name: 'sylk_broken',
      help: 'h',
      type: 'gauge',
      collect: () => {
        throw new Error('gone');
      },
    });
    const failed: string[] = [];
    expect(r.snapshot((name) => failed.push(name))[0]?.samples).toEqual([]);
    expect(failed).toEqual(['sylk_broken']);
  });

  it('formats special values', () => {
    const r = new MetricsRegistry();
    r.collect({
      name: 'sylk_v',
      help: 'h',
      type: 'gauge',
      labelNames: ['k'],
      collect: (emit) => {
        emit(NaN, 'nan');
        emit(-Infinity, 'neg');
        emit(1e-7, 'small');
      },
    });
    expect(prometheusText(r.snapshot()).split('\n').slice(2, 5)).toEqual([
      'sylk_v{k="nan"} NaN',
      'sylk_v{k="neg"} -Inf',
      'sylk_v{k="small"} 1e-7',
    ]);
  });
});
