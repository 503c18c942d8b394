import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './registry.js';
import { otlpBody, otlpSettings, otlpTarget } from './otlp.js';

describe('otlpSettings', () => {
  it('reads the standard variables', () => {
    expect(
      otlpSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db, x-team = core',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
      }),
    ).toEqual({
      url: 'http://collector:4318/v1/metrics',
      headers: { 'api-key': 'a=b', 'x-team': 'core' },
      intervalMs: 5000,
      serviceName: 'sylkd',
    });
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://c/ingest' })).toMatchObject({
      url: 'https://c/ingest',
    });
  });

  it('refuses what it cannot speak', () => {
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual({
      refused: expect.stringMatching(/protocol 'grpc' is not supported/) as unknown,
    });
    expect(otlpSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toHaveProperty('refused');
  });
});

describe('otlpTarget', () => {
  it("prefers the signal's own variables, then the shared ones", () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=2',
      OTEL_SERVICE_NAME: 'svc',
    };
    expect(otlpTarget(env, 'traces')).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { b: '2' },
      serviceName: 'svc',
    });
    expect(otlpTarget(env, 'metrics')).toMatchObject({ url: 'http://collector:4318/v1/metrics', headers: { a: '1' } });
    expect(otlpTarget({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t/in' }, 'traces')).toMatchObject({
      url: 'https://t/in',
    });
  });

  it("is off when the signal's exporter is none or the SDK is disabled", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' };
    expect(otlpTarget({ ...env, OTEL_TRACES_EXPORTER: 'none' }, 'traces')).toHaveProperty('refused');
    expect(otlpTarget({ ...env, OTEL_TRACES_EXPORTER: 'none' }, 'metrics')).toHaveProperty('url');
    expect(otlpTarget({ ...env, OTEL_METRICS_EXPORTER: 'none' }, 'metrics')).toHaveProperty('refused');
    expect(otlpTarget({ ...env, OTEL_SDK_DISABLED: 'true' }, 'traces')).toHaveProperty('refused');
  });
});

describe('otlpBody', () => {
  it('maps counters to cumulative monotonic sums, gauges to gauges, histograms to per-bucket counts', () => {
    const r = new MetricsRegistry();
    r.counter({ name: 'sylk_tool_spawns_total', help: 'spawns', labelNames: ['mode'] }).inc(3, 'foreground');
    r.gauge({ name: 'sylk_session_loaded', help: 'loaded' }).set(2);
    const h = r.histogram({ name: 'sylk_tool_duration_seconds', help: 'd', buckets: [1, 10] });
    for (const v of [0.5, 2, 3, 20]) h.observe(v);
    r.counter({ name: 'sylk_empty_total', help: 'no samples' });
    const body = otlpBody(r.snapshot(), { serviceName: 'sylkd', startMs: 1000, nowMs: 2000 });
    const metrics = body.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(metrics.map((m) => m.name)).toEqual([
      'sylk_tool_spawns_total',
      'sylk_session_loaded',
      'sylk_tool_duration_seconds',
    ]);
    expect(metrics[0]).toEqual({
      name: 'sylk_tool_spawns_total',
      description: 'spawns',
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: [
          {
            attributes: [{ key: 'mode', value: { stringValue: 'foreground' } }],
            startTimeUnixNano: '1000000000',
            timeUnixNano: '2000000000',
            asDouble: 3,
          },
        ],
      },
    });
    expect(metrics[1]).toMatchObject({ gauge: { dataPoints: [{ asDouble: 2 }] } });
    expect(metrics[2]).toMatchObject({
      histogram: {
        aggregationTemporality: 2,
        dataPoints: [{ count: '4', sum: 25.5, explicitBounds: [1, 10], bucketCounts: ['1', '2', '1'] }],
      },
    });
  });
});
