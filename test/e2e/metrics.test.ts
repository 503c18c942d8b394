// `sylk metrics` end to end: a real sylkd with the emulator as the model runs a turn with one
// command; `sylk metrics --json` then shows the gate's attempts and tokens, the command's spawn
// and duration, the turn and its events, and `--prometheus` prints text that parses line by line
// (HELP and TYPE per metric, escaped labels, cumulative histogram buckets) with the same figures.
//
// With OTEL_EXPORTER_OTLP_ENDPOINT set, sylkd pushes the same metrics over OTLP/HTTP (JSON) to a
// collector (here a plain HTTP server in the test) every OTEL_METRIC_EXPORT_INTERVAL and at stop.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';
import { runCli, useHomes, waitFor } from '../helpers/sylk.js';

interface Sample {
  labels: Record<string, string>;
  value?: number;
  count?: number;
  sum?: number;
  buckets?: Array<{ le: string; count: number }>;
}
interface MetricsJson {
  now: string;
  metrics: Array<{ name: string; type: string; area: string; help: string; samples: Sample[] }>;
}

const home = useHomes();
let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** One sample line of the text format: name, labels (unescaped) and value. */
interface TextSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the text exposition format 0.0.4; throws on any line it does not understand. */
function parsePrometheus(text: string): {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: TextSample[];
} {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: TextSample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const [, what, name, rest] = meta as unknown as [string, string, string, string];
      if (what === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(types.has(name), `TYPE twice for ${name}`).toBe(false);
        types.set(name, rest);
      } else helps.set(name, rest);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name, body = '', raw] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    let rest = body;
    while (rest !== '') {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/.exec(rest);
      if (l === null) throw new Error(`bad labels in ${JSON.stringify(line)}`);
      const [all, key, escaped] = l as unknown as [string, string, string];
      labels[key] = escaped.replace(/\\(\\|"|n)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(all.length);
    }
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value in ${JSON.stringify(line)}`);
    samples.push({ name, labels, value });
  }
  return { types, helps, samples };
}

describe('sylk metrics', () => {
  it('shows a turn with a command: gate attempts and tokens, the spawn and its duration; --prometheus parses', async () => {
    const s = (harness = await sessionHarness({
      scenario: {
        name: 'e2e-metrics',
        apiKey: KEY,
        steps: [
          {
            name: 'run',
            match: { lastUser: '/count the lines/' },
            reply: {
              text: 'Counting.',
              usage: { input: 120, output: 15 },
              toolCalls: [{ id: 'call_echo', name: 'run_command', arguments: { command: 'echo metrics-probe' } }],
            },
          },
          {
            name: 'done',
            match: { lastTool: '/metrics-probe/' },
            reply: { text: 'All counted.', usage: { input: 160, output: 5 } },
          },
          { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
        ],
      },
    }));
    const project = s.project('metrics-project', { 'README.md': 'hello\n' });
    const session = await startDetached(s, project, 'count the lines');
    await s.waitEvent(session.id, (e) => e.kind === 'assistant_message' && e.data.text === 'All counted.', 'the reply');
    await s.waitState(session.id, ['idle']);

    const m = await s.json<MetricsJson>(['metrics']);
    const family = (name: string) => {
      const f = m.metrics.find((x) => x.name === name);
      if (f === undefined) throw new Error(`no metric ${name}`);
      return f;
    };
    const sample = (name: string, labels: Record<string, string>) =>
      family(name).samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));

    // Two model requests (the tool call, then the answer), both ok, with their tokens and cost.
    const attempts = family('sylk_gate_attempts_total').samples.filter(
      (x) => x.labels.provider === 'anthropic' && x.labels.outcome === 'ok',
    );
    expect(attempts.reduce((n, x) => n + (x.value ?? 0), 0)).toBe(2);
    const model = attempts[0]?.labels.model as string;
    expect(sample('sylk_gate_tokens_total', { provider: 'anthropic', model, kind: 'input' })?.value).toBe(280);
    expect(sample('sylk_gate_tokens_total', { provider: 'anthropic', model, kind: 'output' })?.value).toBe(20);
    expect(sample('sylk_gate_cost_usd_total', { provider: 'anthropic', model })?.value).toBeGreaterThan(0);
    expect(sample('sylk_gate_requests_total', { outcome: 'completed' })?.value).toBe(2);
    const latency = sample('sylk_gate_attempt_duration_seconds', { provider: 'anthropic' });
    expect(latency?.count).toBe(2);
    expect(latency?.buckets?.at(-1)).toEqual({ le: '+Inf', count: 2 });
    expect(sample('sylk_gate_breaker_state', { provider: 'anthropic' })?.value).toBe(0);

    // The command: one foreground spawn that exited 0, with its duration.
    expect(sample('sylk_tool_spawns_total', { mode: 'foreground' })?.value).toBe(1);
    expect(sample('sylk_tool_exits_total', { mode: 'foreground', outcome: 'ok' })?.value).toBe(1);
    const duration = sample('sylk_tool_duration_seconds', { mode: 'foreground' });
    expect(duration?.count).toBe(1);
    expect(duration?.sum).toBeGreaterThan(0);

    // The turn, its events, the session, the storage and the process.
    expect(sample('sylk_session_turns_total', { outcome: 'done' })?.value).toBe(1);
    expect(family('sylk_session_events_total').samples[0]?.value).toBeGreaterThan(5);
    expect(family('sylk_session_events_per_second').samples[0]?.value).toBeGreaterThan(0);
    expect(family('sylk_storage_commit_duration_seconds').samples[0]?.count).toBeGreaterThan(0);
    expect(sample('sylk_session_states', { state: 'idle' })?.value).toBe(1);
    expect(sample('sylk_storage_db_bytes', { db: 'sessions' })?.value).toBeGreaterThan(0);
    expect(family('sylk_process_resident_memory_bytes').samples[0]?.value).toBeGreaterThan(10 * 1024 * 1024);
    // No series is labelled with a session id or a path.
    const labelValues = m.metrics.flatMap((f) => f.samples.flatMap((x) => Object.values(x.labels)));
    expect(labelValues.filter((v) => v.includes(session.id) || v.includes('/'))).toEqual([]);

    // The same figures as Prometheus text.
    const r = await s.cli(['metrics', '--prometheus']);
    expect(r.code, r.stderr).toBe(0);
    const text = parsePrometheus(r.stdout);
    for (const f of m.metrics) {
      expect(text.types.get(f.name), f.name).toBe(f.type);
      expect(text.helps.get(f.name)).toBeTruthy();
    }
    const spawns = text.samples.find((x) => x.name === 'sylk_tool_spawns_total' && x.labels.mode === 'foreground');
    expect(spawns?.value).toBe(1);
    const okAttempts = text.samples.filter(
      (x) => x.name === 'sylk_gate_attempts_total' && x.labels.provider === 'anthropic' && x.labels.outcome === 'ok',
    );
    expect(okAttempts.reduce((n, x) => n + x.value, 0)).toBe(2);
    // Histogram buckets: cumulative, ending at +Inf with the count.
    const buckets = text.samples.filter(
      (x) => x.name === 'sylk_tool_duration_seconds_bucket' && x.labels.mode === 'foreground',
    );
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]?.value).toBeGreaterThanOrEqual(buckets[i - 1]?.value as number);
    const count = text.samples.find(
      (x) => x.name === 'sylk_tool_duration_seconds_count' && x.labels.mode === 'foreground',
    );
    expect(buckets.at(-1)?.value).toBe(count?.value);

    // The table: grouped by area.
    const table = await s.cli(['metrics']);
    expect(table.code, table.stderr).toBe(0);
    for (const area of ['gate', 'session', 'tool', 'process'])
      expect(table.stdout).toMatch(new RegExp(`^${area}$`, 'm'));
    expect(table.stdout).toMatch(/tool_spawns_total\s+mode=foreground\s+1/);
  });

  it('pushes the metrics over OTLP/HTTP JSON when OTEL_EXPORTER_OTLP_ENDPOINT is set, and once more at stop', async () => {
    const posts: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      const h = home({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20otel-token-5eb1',
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        OTEL_SERVICE_NAME: 'sylkd-e2e',
      });
      const status = await runCli(['status'], { env: h.env });
      expect(status.code, status.stderr).toBe(0);
      await waitFor(() => posts.length >= 2, 20_000, 'two OTLP pushes');
      const first = posts[0] as (typeof posts)[number];
      expect(first.path).toBe('/v1/metrics');
      expect(first.headers['content-type']).toBe('application/json');
      expect(first.headers.authorization).toBe('Bearer otel-token-5eb1');
      const body = JSON.parse(first.body) as {
        resourceMetrics: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue: string } }> };
          scopeMetrics: Array<{ metrics: Array<Record<string, unknown> & { name: string }> }>;
        }>;
      };
      const [resource] = body.resourceMetrics;
      expect(resource?.resource.attributes).toContainEqual({
        key: 'service.name',
        value: { stringValue: 'sylkd-e2e' },
      });
      const metrics = resource?.scopeMetrics[0]?.metrics ?? [];
      const rss = metrics.find((m) => m.name === 'sylk_process_resident_memory_bytes') as
        { gauge: { dataPoints: Array<{ asDouble: number }> } } | undefined;
      expect(rss?.gauge.dataPoints[0]?.asDouble).toBeGreaterThan(10 * 1024 * 1024);
      const cpu = metrics.find((m) => m.name === 'sylk_process_cpu_seconds_total') as
        { sum: { isMonotonic: boolean; aggregationTemporality: number } } | undefined;
      expect(cpu?.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 });

      const before = posts.length;
      const stop = await runCli(['daemon', 'stop'], { env: h.env });
      expect(stop.code, stop.stderr).toBe(0);
      // The last push happens during the shutdown, before sylkd answers no more.
      expect(posts.length).toBeGreaterThan(before);
    } finally {
      collector.close();
    }
  });
});
