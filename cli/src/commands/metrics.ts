import type { Command } from 'commander';
import type { MetricFamily, MetricSample, MetricsResponse } from '@sylk/proto/daemon';
import { connectDaemon } from '../connection.js';
import { emit, formatBytes, formatDuration, style, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';
import { renderTable, type Column } from '../render/table.js';

/** The order areas are shown in; any other area follows. */
const AREAS = ['gate', 'session', 'tool', 'task', 'pool', 'storage', 'process'];

const leText = (le: number) => (le === Infinity ? '+Inf' : String(le));

function labelsOf(s: MetricSample): Record<string, string> {
  return Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
}

/** What `--json` prints per metric. */
function familyJson(f: MetricFamily) {
  return {
    name: f.name,
    type: f.type,
    area: f.area,
    help: f.help,
    samples: f.samples.map((s) =>
      f.type === 'histogram'
        ? {
            labels: labelsOf(s),
            count: Number(s.count),
            sum: s.value,
            buckets: s.buckets.map((b) => ({ le: leText(b.upperBound), count: Number(b.cumulativeCount) })),
          }
        : { labels: labelsOf(s), value: s.value },
    ),
  };
}

function metricsJson(res: MetricsResponse) {
  return { now: new Date(Number(res.nowUnixMs)).toISOString(), metrics: res.families.map(familyJson) };
}

/** A number the way the metric's unit reads (from its name: _bytes, _seconds, _usd). */
function formatValue(name: string, v: number): string {
  if (name.includes('_bytes')) return formatBytes(Math.round(v));
  if (name.includes('_usd')) return `$${v.toFixed(v < 1 ? 4 : 2)}`;
  if (name.endsWith('_uptime_seconds')) return formatDuration(v);
  if (name.includes('_seconds') && !name.endsWith('_total')) {
    if (v === 0) return '0 s';
    return v < 1 ? `${(v * 1000).toPrecision(3)} ms` : `${v.toPrecision(3)} s`;
  }
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1);
}

/** The bucket bound under which a fraction `q` of the observations fall (an upper estimate). */
function quantileBound(s: MetricSample, q: number): number {
  const total = Number(s.count);
  const bucket = s.buckets.find((b) => Number(b.cumulativeCount) >= q * total);
  return bucket?.upperBound ?? Infinity;
}

function sampleValue(f: MetricFamily, s: MetricSample): string {
  if (f.type !== 'histogram') return formatValue(f.name, s.value);
  const n = Number(s.count);
  if (n === 0) return 'none';
  const bound = (q: number) => {
    const b = quantileBound(s, q);
    return b === Infinity ? 'more' : `≤${formatValue(f.name, b)}`;
  };
  return `${n} × mean ${formatValue(f.name, s.value / n)} (p50 ${bound(0.5)}, p99 ${bound(0.99)})`;
}

const COLUMNS: Column[] = [
  { header: 'METRIC', shrink: 2, min: 16 },
  { header: 'LABELS', shrink: 1, min: 10 },
  { header: 'VALUE', align: 'right' },
];

/** The table: one section per area, a row per series (metrics without any are left out). */
function renderMetrics(res: MetricsResponse, width: number, st: Style): string {
  const areas = [...new Set(res.families.map((f) => f.area))].sort(
    (a, b) => (AREAS.indexOf(a) + 1 || 99) - (AREAS.indexOf(b) + 1 || 99),
  );
  const out: string[] = [];
  for (const area of areas) {
    const rows = res.families
      .filter((f) => f.area === area)
      .flatMap((f) =>
        f.samples.map((s) => [
          f.name.replace(/^sylk_/, ''),
          s.labels.map((l) => `${l.name}=${l.value}`).join(' '),
          sampleValue(f, s),
        ]),
      );
    if (rows.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(st.bold(area));
    out.push(...renderTable(COLUMNS, rows, { width, indent: 2, header: st.dim }));
  }
  return out.length === 0 ? 'no metrics' : out.join('\n');
}

export function registerMetricsCommand(program: Command, rt: Runtime): void {
  program
    .command('metrics')
    .description("the daemon's metrics by area: gate, sessions, tools, tasks, pools, storage, process")
    .option('--prometheus', 'print the Prometheus text exposition format (what the dashboard serves at /metrics)')
    .action(async (o: { prometheus?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      try {
        const prometheus = o.prometheus === true;
        const res = await conn.daemon.metrics({ prometheus }, { metadata: conn.metadata });
        if (prometheus) {
          process.stdout.write(res.prometheusText);
          return;
        }
        emit(
          opts,
          () => metricsJson(res),
          () => renderMetrics(res, process.stdout.columns || Infinity, style(rt.color(opts))),
        );
      } finally {
        conn.close();
      }
    });
}
