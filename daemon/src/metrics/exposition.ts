import type { MetricFamily, MetricSample } from './registry.js';

/** The media type of what `prometheusText` writes (text exposition format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A sample value as the format spells it (`+Inf`, `-Inf`, `NaN`, else the shortest decimal). */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Readonly<Record<string, string>>, extra?: [string, string]): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra !== undefined) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function sampleLines(f: MetricFamily, s: MetricSample): string[] {
  if (f.type !== 'histogram') return [`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`];
  const lines = (s.buckets ?? []).map(
    (b) => `${f.name}_bucket${labelText(s.labels, ['le', formatValue(b.le)])} ${formatValue(b.count)}`,
  );
  lines.push(`${f.name}_sum${labelText(s.labels)} ${formatValue(s.value)}`);
  lines.push(`${f.name}_count${labelText(s.labels)} ${formatValue(s.count ?? 0)}`);
  return lines;
}

/** Families in the Prometheus text exposition format 0.0.4: HELP and TYPE, then the samples. */
export function prometheusText(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(...sampleLines(f, s));
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
