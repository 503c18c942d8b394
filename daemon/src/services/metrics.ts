import type { MetricFamily } from '../metrics/registry.js';
import { prometheusText } from '../metrics/exposition.js';

/** `DaemonService.Metrics`: the registry's snapshot as the proto carries it, with the text exposition when asked. */
export function metricsResponse(families: MetricFamily[], prometheus: boolean, now: number) {
  return {
    families: families.map((f) => ({
      name: f.name,
      help: f.help,
      type: f.type,
      area: f.area,
      labelNames: [...f.labelNames],
      samples: f.samples.map((s) => ({
        labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
        value: s.value,
        count: BigInt(s.count ?? 0),
        buckets: (s.buckets ?? []).map((b) => ({ upperBound: b.le, cumulativeCount: BigInt(b.count) })),
      })),
    })),
    prometheusText: prometheus ? prometheusText(families) : '',
    nowUnixMs: BigInt(now),
  };
}
