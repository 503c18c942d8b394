import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { loadScenario, parseScenario } from './scenario.js';

const DEMO = fileURLToPath(new URL('../scenarios/demo-fix-test.yaml', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/sylk-emulator.js', import.meta.url));

describe('scenario validation', () => {
  it('names the offending step and field', () => {
    const yaml = 'steps:\n  - reply: { text: hi }\n  - name: boom\n    fault: { kind: explode }\n';
    expect(() => parseScenario(yaml)).toThrow(/step 1 \("boom"\)\.fault: kind must be one of/);
  });

  it('rejects unknown fields, bad regexes and empty steps', () => {
    expect(() => parseScenario('steps:\n  - reply: { txt: hi }\n')).toThrow(/step 0\.reply: unknown field "txt"/);
    expect(() => parseScenario('steps:\n  - match: { lastUser: "/(/" }\n    reply: { text: x }\n')).toThrow(
      /lastUser is not a valid regex/,
    );
    expect(() => parseScenario('steps: []\n')).toThrow(/non-empty list/);
  });

  it('loads the shipped demo', async () => {
    expect((await loadScenario(DEMO)).steps.length).toBeGreaterThan(3);
  });
});

describe('emulator over HTTP', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ scenarioPath: DEMO });
  });
  afterAll(async () => emu.close());

  const post = (messages: unknown[], headers: Record<string, string> = {}) =>
    fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-secret-value-123456789', ...headers },
      body: JSON.stringify({ model: 'claude-haiku-4-5-20251001', max_tokens: 100, messages }),
    });

  it('drives the demo conversation by turn and by tool result, recording each request', async () => {
    emu.reset();
    const steps: string[] = [];
    const history: unknown[] = [{ role: 'user', content: 'fix the failing test' }];
    const toolOutputs = [
      '1 failing: formatDate',
      'export function formatDate(d) {}',
      'edited src/format.ts',
      'all tests pass',
    ];
    for (const output of [...toolOutputs, undefined]) {
      const res = await post(history);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { content: Array<{ type: string; id?: string }> };
      history.push({ role: 'assistant', content: body.content });
      const toolIds = body.content.filter((b) => b.type === 'tool_use').map((b) => b.id);
      if (output === undefined) break;
      history.push({
        role: 'user',
        content: toolIds.map((id) => ({ type: 'tool_result', tool_use_id: id, content: output })),
      });
    }
    for (const r of emu.requests()) steps.push(r.stepName ?? 'none');
    expect(steps).toEqual(['run-tests', 'read-source', 'fix', 'rerun', 'done']);
    const first = emu.requests()[0];
    expect(first).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      format: 'anthropic',
      turn: 0,
      matchedStep: 0,
      stream: false,
    });
    expect(first?.headers['x-api-key']).toBe('[REDACTED]');
    expect(JSON.stringify(emu.requests())).not.toContain('sk-ant-secret-value');
  });

  it('answers an unmatched request with a clear 400', async () => {
    emu.setScenario({ steps: [{ match: { lastUser: 'deploy' }, reply: { text: 'x' } }] });
    const res = await post([{ role: 'user', content: 'something else' }]);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/no scenario step matched request turn 0/);
    expect(emu.requests().at(-1)?.matchedStep).toBeNull();
  });

  it('injects HTTP faults with provider-shaped bodies and headers', async () => {
    emu.setScenario({
      steps: [
        { match: { turn: 0 }, fault: { kind: 'rate_limit', retryAfter: 3 } },
        { match: { turn: 1 }, fault: { kind: 'overloaded' } },
        {
          match: { turn: 2 },
          fault: { kind: 'http', status: 418, errorType: 'teapot_error', message: 'short and stout' },
        },
        { reply: { text: 'recovered' } },
      ],
    });
    const msgs = [{ role: 'user', content: 'hi' }];
    const r1 = await post(msgs);
    expect([r1.status, r1.headers.get('retry-after')]).toEqual([429, '3']);
    expect(await r1.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    const r2 = await post(msgs);
    expect(r2.status).toBe(529);
    const r3 = await post(msgs);
    expect([r3.status, await r3.json()]).toEqual([
      418,
      expect.objectContaining({ error: { type: 'teapot_error', message: 'short and stout' } }),
    ]);
    expect((await post(msgs)).status).toBe(200);
  });

  it('rejects a wrong key when the scenario sets one', async () => {
    emu.setScenario({ apiKey: 'right', steps: [{ reply: { text: 'x' } }] });
    expect((await post([{ role: 'user', content: 'hi' }], { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await post([{ role: 'user', content: 'hi' }], { 'x-api-key': 'right' })).status).toBe(200);
  });

  it('paces a stream at eventsPerSecond, and as fast as it can without', async () => {
    const streamed = async (reply: Record<string, unknown>) => {
      emu.setScenario({ steps: [{ reply: { text: 'x'.repeat(200), chunkSize: 1, ...reply } }] });
      emu.reset();
      const t0 = performance.now();
      const res = await fetch(`${emu.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
        body: JSON.stringify({
          model: 'claude-haiku-4-5-20251001',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'go' }],
        }),
      });
      const body = await res.text();
      return { ms: performance.now() - t0, deltas: body.split('event: content_block_delta').length - 1 };
    };
    const paced = await streamed({ eventsPerSecond: 1000 });
    expect(paced.deltas).toBe(200);
    expect(paced.ms).toBeGreaterThanOrEqual(195); // ~206 events at 1 ms each: the floor is the point
    const free = await streamed({});
    expect(free.deltas).toBe(200);
    expect(() => parseScenario('steps:\n  - reply: { text: x, eventsPerSecond: 0 }\n')).toThrow(/eventsPerSecond/);
  });

  it('stamps each streamed delta with the wall-clock time it was written', async () => {
    emu.setScenario({
      steps: [{ reply: { text: '@T@ab'.repeat(20), chunkSize: 5, eventsPerSecond: 200, stampMarker: '@T@' } }],
    });
    emu.reset();
    const before = Date.now();
    const res = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({
        model: 'claude-haiku-4-5-20251001',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'go' }],
      }),
    });
    const body = await res.text();
    const stamps = [...body.matchAll(/"text":"(\d+\.\d{3})ab"/g)].map((m) => Number(m[1]));
    expect(stamps).toHaveLength(20);
    expect(body).not.toContain('@T@');
    expect(stamps[0]).toBeGreaterThanOrEqual(before);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1] as number);
    expect(() => parseScenario('steps:\n  - reply: { text: x, stampMarker: "" }\n')).toThrow(/stampMarker/);
  });

  it('sends keep-alives before the reply, and can hold the body open after its final event', async () => {
    const open = (fault: Record<string, unknown>) => {
      emu.setScenario({ steps: [{ reply: { text: 'hello' }, fault: fault as never }] });
      emu.reset();
      return fetch(`${emu.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
        body: JSON.stringify({
          model: 'claude-haiku-4-5-20251001',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'go' }],
        }),
      });
    };
    const pinged = await (await open({ kind: 'keepalive', intervalMs: 20, ms: 150 })).text();
    const events = [...pinged.matchAll(/^event: (\w+)/gm)].map((m) => m[1]);
    expect(events[0]).toBe('message_start');
    expect(events.slice(1, 4)).toEqual(['ping', 'ping', 'ping']);
    expect(events.at(-1)).toBe('message_stop');

    const held = await open({ kind: 'hold_open' });
    const reader = (held.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: message_stop')) text += new TextDecoder().decode((await reader.read()).value);
    const next = await Promise.race([
      reader.read().then(() => 'more'),
      new Promise((r) => setTimeout(() => r('still open'), 200)),
    ]);
    expect(next).toBe('still open');
    await reader.cancel();
    expect(() => parseScenario('steps:\n  - fault: { kind: keepalive, intervalMs: 0 }\n')).toThrow(/intervalMs/);
  });
});

describe('sylk-emulator binary', () => {
  it('prints its URL and serves the scenario', async () => {
    const child = spawn(process.execPath, [BIN, '--scenario', DEMO, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = line.toString().trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer x' } });
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('exits non-zero with a clear message for an invalid scenario', async () => {
    const child = spawn(process.execPath, [BIN, '--scenario', '/nonexistent/scenario.yaml'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toMatch(/sylk-emulator: .*scenario\.yaml/);
  });
});
