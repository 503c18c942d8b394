// The network allowlist proxy end to end: a real sylkd with the OS sandbox on, a scripted model
// running curl inside the sandbox, and a loopback HTTP server reached by names that
// security.network.host_overrides maps to 127.0.0.1. An allowed name gets the server's answer,
// a denied one the proxy's 403, an "allow always" persists; `sylk sandbox status` counts it all.
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scenario } from '@sylk/emulator';
import { waitFor } from '../helpers/sylk.js';
import { KEY, sessionHarness, startDetached, type ApprovalJson, type SessionHarness } from '../helpers/sessions.js';

let harness: SessionHarness | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

function curl(port: number, host: string, path: string): string {
  return `curl -sS --max-time 30 http://${host}:${port}${path}`;
}

function scenario(port: number): Scenario {
  return {
    name: 'network-proxy',
    apiKey: KEY,
    steps: [
      {
        name: 'fetch',
        match: { lastUser: '/fetch the pages/' },
        reply: {
          text: 'Fetching.',
          toolCalls: [
            {
              id: 'call_fetch',
              name: 'run_command',
              arguments: {
                command: `${curl(port, 'allowed.test', '/a')}; echo; ${curl(port, 'other.test', '/b')}; echo; ${curl(port, 'approved.test', '/c')}`,
              },
            },
          ],
        },
      },
      {
        name: 'again',
        match: { lastUser: '/fetch again/' },
        reply: {
          text: 'Again.',
          toolCalls: [
            { id: 'call_again', name: 'run_command', arguments: { command: curl(port, 'approved.test', '/d') } },
          ],
        },
      },
      { name: 'done', match: { lastTool: '/exit code/' }, reply: { text: 'Fetched.' } },
      { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
    ],
  };
}

async function loopbackServer(): Promise<{ port: number; hits: Array<{ url: string; host: string }> }> {
  const hits: Array<{ url: string; host: string }> = [];
  server = http.createServer((req, res) => {
    hits.push({ url: req.url ?? '', host: req.headers.host ?? '' });
    res.end(`hello from the loopback server at ${req.url}`);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hits };
}

async function nextApproval(
  s: SessionHarness,
  session: string,
  pred: (a: ApprovalJson) => boolean,
  what: string,
): Promise<ApprovalJson> {
  let found: ApprovalJson | undefined;
  await waitFor(
    async () => {
      found = (await s.approvals(session)).find(pred);
      return found !== undefined;
    },
    45_000,
    what,
  );
  return found as ApprovalJson;
}

interface SandboxStatusJson {
  mode: string;
  reason: string | null;
  proxy: {
    enabled: boolean;
    endpoint: string | null;
    bridge: string | null;
    allowedDomains: string[];
    counters: { allowed: number; blocked: number; asked: number };
  };
}

function rawExchange(socketPath: string, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let text = '';
    conn.on('data', (d: Buffer) => (text += d.toString()));
    conn.on('error', reject);
    conn.on('close', () => resolve(text));
    conn.write(data);
  });
}

const lastToolResult = (s: SessionHarness): string =>
  JSON.stringify((s.emu.requests().at(-1)?.body as { messages: unknown[] }).messages.at(-1));

describe('network allowlist proxy', () => {
  it('lets an allowed name reach a loopback server, answers a denied one with 403, persists "allow always"', async () => {
    const { port, hits } = await loopbackServer();
    const s = (harness = await sessionHarness({ scenario: scenario(port) }));
    appendFileSync(
      join(s.h.home, 'config', 'config.yaml'),
      [
        'security:',
        '  network:',
        '    allowed_domains: [allowed.test]',
        '    host_overrides: { allowed.test: 127.0.0.1, other.test: 127.0.0.1, approved.test: 127.0.0.1 }',
        '',
      ].join('\n'),
    );
    const project = s.project('net');

    const before = await s.json<SandboxStatusJson>(['sandbox', 'status', '--project', project]);
    expect(before.mode, `the sandbox must be enforced for this test: ${before.reason}`).toBe('enforced');
    expect(before.proxy.enabled).toBe(true);

    const created = await startDetached(s, project, 'fetch the pages');
    const command = await nextApproval(s, created.id, (a) => a.kind === 'command', 'the approval to run curl');
    expect((await s.cli(['approve', command.id])).code).toBe(0);

    // allowed.test is in allowed_domains: no question. other.test asks, and the user says no.
    const other = await nextApproval(
      s,
      created.id,
      (a) => a.kind === 'network',
      'the approval to connect to other.test',
    );
    expect(other).toMatchObject({ summary: 'connect to other.test', detail: 'other.test' });
    expect((await s.cli(['deny', other.id])).code).toBe(0);
    const approved = await nextApproval(
      s,
      created.id,
      (a) => a.kind === 'network' && a.id !== other.id,
      'the approval to connect to approved.test',
    );
    expect(approved.summary).toBe('connect to approved.test');
    expect((await s.cli(['approve', approved.id, '--scope', 'always'])).code).toBe(0);
    await s.waitState(created.id, ['idle', 'failed'], 60_000);

    const output = lastToolResult(s);
    expect(output).toContain('hello from the loopback server at /a');
    expect(output).toContain(
      "Sylk's network proxy blocked other.test: The user denied this. To allow it, add it to security.network.allowed_domains",
    );
    expect(output).toContain('hello from the loopback server at /c');
    expect(hits).toEqual([
      { url: '/a', host: `allowed.test:${port}` },
      { url: '/c', host: `approved.test:${port}` },
    ]);

    // "allow always" persisted a domain rule: a new session of the project connects without asking.
    const second = await startDetached(s, project, 'fetch again');
    const again = await nextApproval(s, second.id, (a) => a.kind === 'command', 'the approval to run curl again');
    expect((await s.cli(['approve', again.id])).code).toBe(0);
    await s.waitState(second.id, ['idle', 'failed'], 60_000);
    expect(lastToolResult(s)).toContain('hello from the loopback server at /d');
    expect((await s.events(second.id)).filter((e) => e.kind === 'approval_requested').map((e) => e.data.kind)).toEqual([
      'command',
    ]);

    const after = await s.json<SandboxStatusJson>(['sandbox', 'status', '--project', project]);
    expect(after.proxy.bridge).toBe('socat');
    expect(after.proxy.endpoint).toContain('.sock');
    expect(after.proxy.allowedDomains).toEqual(expect.arrayContaining(['registry.npmjs.org', 'allowed.test']));
    expect(after.proxy.counters).toEqual({ allowed: 3, blocked: 1, asked: 2 });

    // Every decided connection is in the audit log.
    const audited = await s.json<Array<{ target: string; outcome: string; sessionId: string }>>([
      'audit',
      'query',
      '--category',
      'network',
      '--action',
      'connect',
    ]);
    expect(audited.map((e) => [e.target, e.outcome, e.sessionId])).toEqual([
      [`allowed.test:${port}`, 'allow', created.id],
      [`other.test:${port}`, 'blocked', created.id],
      [`approved.test:${port}`, 'allow', created.id],
      [`approved.test:${port}`, 'allow', second.id],
    ]);

    // Garbage straight at the live proxy socket: a clear 400, and the daemon carries on.
    const socket = (after.proxy.endpoint ?? '').split(' ')[0] ?? '';
    const answer = await rawExchange(socket, 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 [^]*send CONNECT host:port/);
    expect((await s.cli(['status'])).code).toBe(0);
  });
});
