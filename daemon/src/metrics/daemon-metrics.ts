import type { Clock, Logger } from '@sylk/core';
import type { DaemonLlm } from '../llm/llm.js';
import type { SessionHost } from '../sessions/host.js';
import type { DaemonResources } from '../pipelines/daemon-resources.js';
import { MetricsRegistry, type MetricFamily } from './registry.js';
import { prometheusText } from './exposition.js';
import { GateMetrics } from './gate-metrics.js';
import { SessionMetrics } from './session-metrics.js';
import { toolMetrics, type ToolRecorder } from './tool-metrics.js';
import { watchResources } from './resource-metrics.js';
import { watchStorage } from './storage-metrics.js';
import { watchProcess } from './process-metrics.js';

/** The order areas are listed in (registration order within each). */
const AREAS = ['gate', 'session', 'tool', 'task', 'pool', 'storage', 'process'];

/** The components whose figures are read at scrape time (the daemon's, once they are up). */
export interface MetricSources {
  llm: DaemonLlm;
  sessions: SessionHost;
  resources: DaemonResources;
  dataDir: string;
}

/**
 * sylkd's metrics (docs/operations.md#metrics): made before the components so they can record
 * into it (`gate.recordUsage`, `tools`, `sessions.turnEnded`), then `watch`ed once they exist
 * for what is read at scrape time. `prometheus()` is what GET /metrics serves; `snapshot()` what
 * `DaemonService.Metrics` returns.
 */
export class DaemonMetrics {
  private readonly registry = new MetricsRegistry();
  readonly gate: GateMetrics;
  readonly tools: ToolRecorder;
  readonly sessions: SessionMetrics;
  private readonly stops: Array<() => void | Promise<void>> = [];

  constructor(private readonly opts: { clock: Clock; logger: Logger; startedAt: number }) {
    this.gate = new GateMetrics(this.registry);
    this.tools = toolMetrics(this.registry);
    this.sessions = new SessionMetrics(this.registry);
  }

  watch(sources: MetricSources): void {
    const { clock, startedAt } = this.opts;
    this.stops.push(this.gate.watch(sources.llm));
    this.stops.push(this.sessions.watch(sources.sessions, clock, startedAt));
    watchResources(this.registry, sources.resources);
    watchStorage(this.registry, sources.dataDir);
    this.stops.push(watchProcess(this.registry, clock, startedAt));
  }

  /** Every metric with its current samples, area by area. */
  snapshot(): MetricFamily[] {
    const families = this.registry.snapshot((name, err) =>
      this.opts.logger.warn({ err, metric: name }, 'metric collection failed'),
    );
    const rank = (f: MetricFamily) => AREAS.indexOf(f.area) + 1 || AREAS.length + 1;
    return families.sort((a, b) => rank(a) - rank(b));
  }

  /** Every metric in the Prometheus text exposition format 0.0.4. */
  prometheus(): string {
    return prometheusText(this.snapshot());
  }

  /**
   * OpenTelemetry export (OTLP/HTTP JSON, docs/operations.md#metrics) when the standard variables
   * name an endpoint; its module is imported only then. Header values (tokens) become secrets.
   */
  async exportOtlp(env: Readonly<Record<string, string | undefined>>, secrets: { add(value: string): unknown }) {
    if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return;
    const { otlpSettings, OtlpMetricsExporter } = await import('./otlp.js');
    const settings = otlpSettings(env);
    if ('refused' in settings) {
      this.opts.logger.warn({ reason: settings.refused }, 'OTLP metrics export is off');
      return;
    }
    for (const value of Object.values(settings.headers)) secrets.add(value);
    const exporter = new OtlpMetricsExporter(settings, {
      snapshot: () => this.snapshot(),
      now: () => this.opts.clock.now(),
      startedAt: this.opts.startedAt,
      logger: this.opts.logger.child({ component: 'otlp' }),
    });
    this.stops.push(() => exporter.close());
  }

  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) await stop();
  }
}
