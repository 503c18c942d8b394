// OpenTelemetry traces of a turn, end to end: a real sylkd whose model is the emulator, with
// OTEL_EXPORTER_OTLP_ENDPOINT pointed at a collector (a plain HTTP server in the test). One turn:
// the first model request fails once (the gate retries it), the reply runs a command holding a
// secret, a second request answers. The collector must get one trace: a root `turn` span, two
// model-request spans and one tool span as its children, with consistent ids and times, and
// nothing of the API key, the command, its secret or its output; the tool span carries the command's
// exit code. A delegated task's turn is in the parent's trace, under the spawn_task call that started
// it. OTEL_TRACES_EXPORTER=none and a collector that is down leave the sessions alone.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';
import { waitFor } from '../helpers/sylk.js';

const API_KEY = 'sk-ant-api03-trace-e2e-6f1c0d9b';
const COMMAND_SECRET = 'ghp_TraceSecret9f8e7d6c5b4a3f2e1d0c9b8a7';
const HEADER_TOKEN = 'otel-ingest-token-41d2';
const OUTPUT = 'trace-probe-output-77';

interface Attr {
  key: string;
  value: { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean };
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  events: Array<{ name: string; timeUnixNano: string; attributes: Attr[] }>;
  status: { code: number; message?: string };
}
interface TraceBody {
  resourceSpans: Array<{ resource: { attributes: Attr[] }; scopeSpans: Array<{ spans: Span[] }> }>;
}
interface Post {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let harness: SessionHarness | undefined;
let collector: Server | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
  collector?.close();
  collector = undefined;
});

async function startCollector(posts: Post[]): Promise<number> {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector?.listen(0, '127.0.0.1', resolve));
  return (collector.address() as AddressInfo).port;
}

async function tracedHarness(env: Record<string, string>): Promise<SessionHarness> {
  const s = (harness = await sessionHarness({
    scenario: {
      name: 'e2e-tracing',
      apiKey: API_KEY,
      steps: [
        { name: 'flaky', times: 1, match: { lastUser: '/trace this turn/' }, fault: { kind: 'server_error' } },
        {
          name: 'run',
          match: { lastUser: '/trace this turn/' },
          reply: {
            text: 'Running it.',
            usage: { input: 120, output: 15 },
            toolCalls: [
              {
                id: 'call_probe',
                name: 'run_command',
                arguments: { command: `GITHUB_TOKEN=${COMMAND_SECRET} echo ${OUTPUT}` },
              },
            ],
          },
        },
        {
          name: 'done',
          match: { lastTool: `/${OUTPUT}/` },
          reply: { text: 'Traced.', usage: { input: 160, output: 5 } },
        },
        // A delegation: the parent spawns an explorer task and waits for it; the task runs `false`.
        {
          name: 'delegate',
          match: { lastUser: '/trace a delegation/' },
          reply: { toolCalls: [{ name: 'spawn_task', arguments: { goal: 'TRACE-TASK: check it', role: 'explorer' } }] },
        },
        {
          name: 'wait',
          match: { lastTool: '/Started task t1 /' },
          reply: { toolCalls: [{ name: 'wait_tasks', arguments: { ids: ['t1'], timeout_seconds: 120 } }] },
        },
        {
          name: 'delegated',
          match: { lastTool: '/t1 \\(explorer\\) done/' },
          reply: { text: 'Delegation traced.' },
        },
        {
          name: 'task-run',
          match: { lastUser: '/TRACE-TASK/' },
          reply: { toolCalls: [{ name: 'run_command', arguments: { command: 'false' } }] },
        },
        { name: 'task-done', match: { lastTool: '/exit code 1/' }, reply: { text: 'TASK: it failed as asked.' } },
        { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
      ],
    },
  }));
  // The daemon the CLI starts inherits this environment.
  Object.assign(s.h.env, { ANTHROPIC_API_KEY: API_KEY, ...env });
  return s;
}

/** Runs the turn, approving the command if the policy asks, until the final reply. */
async function runTurn(s: SessionHarness, prompt = 'trace this turn', reply = 'Traced.'): Promise<string> {
  const project = s.project('traced', { 'README.md': 'hello\n' });
  const session = await startDetached(s, project, prompt);
  await waitFor(
    async () => {
      const pending = await s.approvals(session.id);
      for (const a of pending) expect((await s.cli(['approve', a.id])).code).toBe(0);
      return (await s.events(session.id)).some((e) => e.kind === 'assistant_message' && e.data.text === reply);
    },
    60_000,
    'the final reply',
  );
  await s.waitState(session.id, ['idle']);
  return session.id;
}

const attr = (span: Span | undefined, key: string) => {
  const v = span?.attributes.find((a) => a.key === key)?.value;
  if (v === undefined) return undefined;
  return v.stringValue ?? v.boolValue ?? v.doubleValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined);
};
const ns = (s: string) => BigInt(s);

/** Every span the collector got so far. */
const spansOf = (posts: Post[]): Span[] =>
  posts
    .filter((p) => p.path === '/v1/traces')
    .flatMap((p) => (JSON.parse(p.body) as TraceBody).resourceSpans[0]?.scopeSpans[0]?.spans ?? []);

describe('OpenTelemetry traces', () => {
  it('exports a turn as a root span with model-request and tool spans, and no secret', async () => {
    const posts: Post[] = [];
    const port = await startCollector(posts);
    const s = await tracedHarness({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${HEADER_TOKEN}`,
      OTEL_SERVICE_NAME: 'sylkd-traces-e2e',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const sessionId = await runTurn(s);
    const traces = () => posts.filter((p) => p.path === '/v1/traces');
    const spans = () => spansOf(posts);
    await waitFor(() => spans().some((x) => x.name === 'turn'), 20_000, 'the turn span at the collector');

    const first = traces()[0] as Post;
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
    const body = JSON.parse(first.body) as TraceBody;
    expect(body.resourceSpans[0]?.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'sylkd-traces-e2e' },
    });

    const all = spans();
    const root = all.find((x) => x.name === 'turn') as Span;
    expect(root.parentSpanId).toBeUndefined();
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(attr(root, 'sylk.session.id')).toBe(sessionId);
    expect(attr(root, 'sylk.turn.outcome')).toBe('ok');
    expect(attr(root, 'sylk.turn.model_requests')).toBe(2);
    expect(attr(root, 'sylk.turn.tool_calls')).toBe(1);
    expect(root.status.code).toBe(0);

    // Every other span is a child of the turn, in its trace and inside its time.
    const children = all.filter((x) => x !== root);
    expect(children.map((x) => x.name).sort()).toEqual([
      'chat claude-sonnet-5-5',
      'chat claude-sonnet-5-5',
      'execute_tool run_command',
    ]);
    for (const c of children) {
      expect(c.traceId).toBe(root.traceId);
      expect(c.parentSpanId).toBe(root.spanId);
      expect(c.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(c.spanId).not.toBe(root.spanId);
      expect(ns(c.startTimeUnixNano)).toBeGreaterThanOrEqual(ns(root.startTimeUnixNano));
      expect(ns(c.endTimeUnixNano)).toBeLessThanOrEqual(ns(root.endTimeUnixNano));
      expect(ns(c.endTimeUnixNano)).toBeGreaterThanOrEqual(ns(c.startTimeUnixNano));
    }
    expect(new Set(children.map((c) => c.spanId)).size).toBe(3);

    // The model requests, in order: the first was retried once after the emulator's 500.
    const [ask, answer] = children
      .filter((c) => c.name.startsWith('chat '))
      .sort((a, b) => Number(ns(a.startTimeUnixNano) - ns(b.startTimeUnixNano)));
    const tool = children.find((c) => c.name === 'execute_tool run_command') as Span;
    expect(ask?.kind).toBe(3);
    expect(attr(ask, 'gen_ai.provider.name')).toBe('anthropic');
    expect(attr(ask, 'gen_ai.request.model')).toBe('claude-sonnet-5-5');
    expect(attr(ask, 'gen_ai.usage.input_tokens')).toBe(120);
    expect(attr(ask, 'gen_ai.usage.output_tokens')).toBe(15);
    expect(attr(ask, 'sylk.cost_usd')).toBeGreaterThan(0);
    expect(attr(ask, 'sylk.outcome')).toBe('ok');
    expect(attr(ask, 'sylk.retries')).toBe(1);
    expect(ask?.events.map((e) => e.name)).toEqual(['retry']);
    expect(attr(answer, 'sylk.retries')).toBe(0);
    expect(attr(answer, 'gen_ai.usage.input_tokens')).toBe(160);
    // The command ran between the two requests.
    expect(attr(tool, 'gen_ai.tool.name')).toBe('run_command');
    expect(attr(tool, 'sylk.tool.outcome')).toBe('ok');
    expect(attr(tool, 'process.exit.code')).toBe(0);
    expect(tool.status.code).toBe(0);
    expect(attr(tool, 'sylk.tool.duration_ms')).toBeGreaterThanOrEqual(0);
    expect(ns(tool.startTimeUnixNano)).toBeGreaterThanOrEqual(ns(ask?.endTimeUnixNano ?? '0'));
    expect(ns(answer?.startTimeUnixNano ?? '0')).toBeGreaterThanOrEqual(ns(tool.endTimeUnixNano));

    // Nothing of the key, the command, its secret or output, or the collector's token.
    const sent = traces()
      .map((p) => p.body)
      .join('\n');
    for (const secret of [API_KEY, COMMAND_SECRET, HEADER_TOKEN, OUTPUT, 'GITHUB_TOKEN', 'echo'])
      expect(sent, secret).not.toContain(secret);
  });

  it("puts a delegated task's turn in the parent's trace, under its spawn_task call", async () => {
    const posts: Post[] = [];
    const port = await startCollector(posts);
    const s = await tracedHarness({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const sessionId = await runTurn(s, 'trace a delegation', 'Delegation traced.');
    const isParentTurn = (x: Span) => x.name === 'turn' && attr(x, 'sylk.task.id') === undefined;
    await waitFor(
      () => spansOf(posts).some(isParentTurn) && spansOf(posts).some((x) => attr(x, 'sylk.task.id') === 't1'),
      20_000,
      "the parent's and the task's turn spans at the collector",
    );
    const all = spansOf(posts);
    const root = all.find(isParentTurn) as Span;
    expect(root.parentSpanId).toBeUndefined();
    expect(attr(root, 'sylk.session.id')).toBe(sessionId);
    // One trace: the parent's turn, its calls, the task's turn and the task's calls.
    for (const x of all) expect(x.traceId).toBe(root.traceId);
    const childrenOf = (parent: Span) => all.filter((x) => x.parentSpanId === parent.spanId);
    const spawn = childrenOf(root).find((x) => x.name === 'execute_tool spawn_task') as Span;
    expect(attr(spawn, 'sylk.tool.outcome')).toBe('ok');
    expect(childrenOf(root).map((x) => x.name)).toContain('execute_tool wait_tasks');

    const task = all.find((x) => attr(x, 'sylk.task.id') === 't1') as Span;
    expect(task.name).toBe('turn');
    expect(task.parentSpanId).toBe(spawn.spanId);
    expect(attr(task, 'sylk.task.role')).toBe('explorer');
    expect(attr(task, 'sylk.task.resumed')).toBe(false);
    expect(attr(task, 'sylk.session.id')).toBe(sessionId);
    expect(attr(task, 'sylk.turn.outcome')).toBe('ok');
    expect(ns(task.startTimeUnixNano)).toBeGreaterThanOrEqual(ns(spawn.startTimeUnixNano));
    // The task's own model requests and its command, under its turn; `false` exits 1: an error status.
    const own = childrenOf(task);
    expect(own.map((x) => x.name).sort()).toEqual([
      'chat claude-sonnet-5-5',
      'chat claude-sonnet-5-5',
      'execute_tool run_command',
    ]);
    const command = own.find((x) => x.name === 'execute_tool run_command') as Span;
    expect(attr(command, 'process.exit.code')).toBe(1);
    expect(attr(command, 'sylk.tool.outcome')).toBe('failed');
    expect(attr(command, 'error.type')).toBe('failed');
    expect(command.status).toEqual({ code: 2, message: 'failed' });
    // Nothing of the goal or the command.
    const sent = JSON.stringify(all);
    expect(sent).not.toContain('TRACE-TASK');
    expect(sent).not.toContain('"false"');
  });

  it('sends no spans with OTEL_TRACES_EXPORTER=none; a collector that is down leaves turns alone', async () => {
    const posts: Post[] = [];
    const port = await startCollector(posts);
    const s = await tracedHarness({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await runTurn(s);
    expect((await s.cli(['daemon', 'stop'])).code).toBe(0);
    // The metrics still go (once more at stop), the traces do not.
    expect(posts.some((p) => p.path === '/v1/metrics')).toBe(true);
    expect(posts.filter((p) => p.path === '/v1/traces')).toEqual([]);

    // Traces to a port nobody listens on: the turn completes as before.
    await s.cleanup();
    harness = undefined;
    collector?.close();
    const down = await tracedHarness({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    await runTurn(down);
    const logs = await down.cli(['daemon', 'logs', '-n', '1000']);
    expect(logs.stdout.match(/OTLP traces export failed/g)?.length).toBe(1);
  });
});
