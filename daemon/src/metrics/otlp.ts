/**
 * OpenTelemetry metrics export (OTLP over HTTP with JSON bodies), configured by the standard
 * `OTEL_*` variables. Imported only when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is set (see daemon.ts): off, it costs nothing.
 */
import { VERSION, type Logger } from '@sylk/core';
import type { MetricFamily } from './registry.js';

export interface OtlpSettings {
  url: string;
  headers: Record<string, string>;
  intervalMs: number;
  serviceName: string;
}

/** The exporter's settings from the environment, or why there is none. */
export function otlpSettings(env: Readonly<Record<string, string | undefined>>): OtlpSettings | { refused: string } {
  const protocol = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/json';
  if (protocol !== 'http/json')
    return { refused: `OTLP protocol '${protocol}' is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL=http/json` };
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || (base ? `${base.replace(/\/+$/, '')}/v1/metrics` : '');
  if (!/^https?:\/\//.test(url)) return { refused: `the OTLP endpoint '${url}' is not an http(s) URL` };
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_METRICS_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  return {
    url,
    headers,
    intervalMs: Number.isFinite(interval) && interval >= 100 ? interval : 60_000,
    serviceName: env.OTEL_SERVICE_NAME || 'sylkd',
  };
}

const attributes = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).map(([key, value]) => ({ key, value: { stringValue: value } }));

/**
 * Families as an OTLP `ExportMetricsServiceRequest` (JSON mapping): cumulative sums, gauges, histograms.
 * @internal exported for tests
 */
export function otlpBody(
  families: readonly MetricFamily[],
  s: { serviceName: string; startMs: number; nowMs: number },
) {
  const start = `${BigInt(Math.round(s.startMs)) * 1_000_000n}`;
  const time = `${BigInt(Math.round(s.nowMs)) * 1_000_000n}`;
  const metrics = families
    .filter((f) => f.samples.length > 0)
    .map((f) => {
      const base = { name: f.name, description: f.help };
      if (f.type === 'histogram') {
        const dataPoints = f.samples.map((x) => {
          const cumulative = (x.buckets ?? []).map((b) => b.count);
          return {
            attributes: attributes(x.labels),
            startTimeUnixNano: start,
            timeUnixNano: time,
            count: String(x.count ?? 0),
            sum: x.value,
            explicitBounds: (x.buckets ?? []).slice(0, -1).map((b) => b.le),
            bucketCounts: cumulative.map((c, i) => String(c - (cumulative[i - 1] ?? 0))),
          };
        });
        return { ...base, histogram: { aggregationTemporality: 2, dataPoints } };
      }
      const dataPoints = f.samples.map((x) => ({
        attributes: attributes(x.labels),
        startTimeUnixNano: start,
        timeUnixNano: time,
        asDouble: x.value,
      }));
      return f.type === 'counter'
        ? { ...base, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints } }
        : { ...base, gauge: { dataPoints } };
    });
  return {
    resourceMetrics: [
      {
        resource: { attributes: attributes({ 'service.name': s.serviceName, 'service.version': VERSION }) },
        scopeMetrics: [{ scope: { name: 'sylkd', version: VERSION }, metrics }],
      },
    ],
  };
}

/** Pushes the registry's snapshot every interval and once more when stopped. */
export class OtlpMetricsExporter {
  private readonly timer: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly settings: OtlpSettings,
    private readonly opts: { snapshot: () => MetricFamily[]; now: () => number; startedAt: number; logger: Logger },
  ) {
    this.timer = setInterval(() => void this.push(), settings.intervalMs).unref();
    opts.logger.info({ url: settings.url, intervalMs: settings.intervalMs }, 'exporting metrics over OTLP');
  }

  async push(): Promise<void> {
    const body = otlpBody(this.opts.snapshot(), {
      serviceName: this.settings.serviceName,
      startMs: this.opts.startedAt,
      nowMs: this.opts.now(),
    });
    try {
      const res = await fetch(this.settings.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.settings.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (this.failing) this.opts.logger.info({ url: this.settings.url }, 'OTLP metrics export works again');
      this.failing = false;
    } catch (err) {
      // Logged once per failing spell: a collector that is down must not fill the log.
      if (!this.failing)
        this.opts.logger.warn({ url: this.settings.url, err: (err as Error).message }, 'OTLP metrics export failed');
      this.failing = true;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.push();
  }
}
