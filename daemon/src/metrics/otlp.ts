/**
 * OpenTelemetry export over OTLP/HTTP with JSON bodies, configured by the standard `OTEL_*`
 * variables: the settings and the transport every signal uses, and the metrics exporter (traces:
 * daemon/src/telemetry). Imported only when an OTLP endpoint is set (see daemon-metrics.ts and
 * telemetry/tracing.ts): off, it costs nothing.
 */
import { VERSION, type Logger } from '@sylk/core';
import type { MetricFamily } from './registry.js';

/** Where one signal (metrics, traces) goes: the collector's URL, headers and the service name. */
export interface OtlpTarget {
  url: string;
  headers: Record<string, string>;
  serviceName: string;
}

export interface OtlpSettings extends OtlpTarget {
  intervalMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const attributes = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).map(([key, value]) => ({ key, value: { stringValue: value } }));

/**
 * One signal's target from the standard variables (the signal's own `OTEL_EXPORTER_OTLP_<SIGNAL>_*`
 * before the shared `OTEL_EXPORTER_OTLP_*`), or why there is none: `OTEL_<SIGNAL>_EXPORTER=none`,
 * `OTEL_SDK_DISABLED=true`, a protocol other than `http/json`, an endpoint that is not http(s).
 */
export function otlpTarget(env: Env, signal: 'metrics' | 'traces'): OtlpTarget | { refused: string } {
  const SIGNAL = signal.toUpperCase();
  if (env[`OTEL_${SIGNAL}_EXPORTER`]?.trim() === 'none') return { refused: `OTEL_${SIGNAL}_EXPORTER is none` };
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { refused: 'OTEL_SDK_DISABLED is true' };
  const protocol = env[`OTEL_EXPORTER_OTLP_${SIGNAL}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/json';
  if (protocol !== 'http/json')
    return { refused: `OTLP protocol '${protocol}' is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL=http/json` };
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = env[`OTEL_EXPORTER_OTLP_${SIGNAL}_ENDPOINT`] || (base ? `${base.replace(/\/+$/, '')}/v1/${signal}` : '');
  if (!/^https?:\/\//.test(url)) return { refused: `the OTLP endpoint '${url}' is not an http(s) URL` };
  const headers: Record<string, string> = {};
  for (const pair of (env[`OTEL_EXPORTER_OTLP_${SIGNAL}_HEADERS`] ?? env.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return { url, headers, serviceName: env.OTEL_SERVICE_NAME || 'sylkd' };
}

/** The metrics exporter's settings from the environment, or why there is none. */
export function otlpSettings(env: Env): OtlpSettings | { refused: string } {
  const target = otlpTarget(env, 'metrics');
  if ('refused' in target) return target;
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  return { ...target, intervalMs: Number.isFinite(interval) && interval >= 100 ? interval : 60_000 };
}

/** A positive integer from the environment, else the default (the OTEL_BSP_* batch settings). */
export function envInteger(env: Env, name: string, fallback: number): number {
  const n = Number(env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * POSTs OTLP/HTTP JSON bodies to one collector. A failure is logged once per failing spell (a
 * collector that is down must not fill the log) and never thrown: the daemon's work goes on.
 */
export class OtlpPoster {
  private failing = false;

  constructor(
    private readonly target: OtlpTarget,
    private readonly what: string,
    private readonly logger: Logger,
  ) {}

  /** True when the collector took it. */
  async post(body: unknown, timeoutMs = 10_000): Promise<boolean> {
    const { url } = this.target;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.target.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The collector's answer is not used; reading it lets the connection be reused.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (this.failing) this.logger.info({ url }, `OTLP ${this.what} export works again`);
      this.failing = false;
      return true;
    } catch (err) {
      if (!this.failing) this.logger.warn({ url, err: (err as Error).message }, `OTLP ${this.what} export failed`);
      this.failing = true;
      return false;
    }
  }
}

/** The OTLP resource naming this daemon. */
export function otlpResource(serviceName: string) {
  return { attributes: attributes({ 'service.name': serviceName, 'service.version': VERSION }) };
}

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
        resource: otlpResource(s.serviceName),
        scopeMetrics: [{ scope: { name: 'sylkd', version: VERSION }, metrics }],
      },
    ],
  };
}

/** Pushes the registry's snapshot every interval and once more when stopped. */
export class OtlpMetricsExporter {
  private readonly timer: NodeJS.Timeout;
  private readonly poster: OtlpPoster;

  constructor(
    private readonly settings: OtlpSettings,
    private readonly opts: { snapshot: () => MetricFamily[]; now: () => number; startedAt: number; logger: Logger },
  ) {
    this.poster = new OtlpPoster(settings, 'metrics', opts.logger);
    this.timer = setInterval(() => void this.push(), settings.intervalMs).unref();
    opts.logger.info({ url: settings.url, intervalMs: settings.intervalMs }, 'exporting metrics over OTLP');
  }

  async push(): Promise<void> {
    const body = otlpBody(this.opts.snapshot(), {
      serviceName: this.settings.serviceName,
      startMs: this.opts.startedAt,
      nowMs: this.opts.now(),
    });
    await this.poster.post(body);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.push();
  }
}
