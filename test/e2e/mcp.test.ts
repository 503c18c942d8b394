// MCP end to end: a real sylkd starts a real MCP server (test/fixtures/mcp, written with the
// official SDK), the scripted model calls `mcp__<server>__<tool>`, the approval is answered through
// the CLI and the tool's result reaches the model; `sylk mcp add|list|test|remove` through the CLI.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import type { Scenario } from '@sylk/emulator';
import { ROOT, waitFor } from '../helpers/sylk.js';
import {
  eventsOfKind,
  FIXTURES,
  KEY,
  sessionHarness,
  startDetached,
  type SessionHarness,
} from '../helpers/sessions.js';

const ECHO = join(FIXTURES, 'mcp', 'echo.mjs');
const TOKEN = 'echo-secret-token-4b1d';

const scenario = (server: string): Scenario => ({
  name: 'e2e-mcp',
  apiKey: KEY,
  steps: [
    {
      name: 'call',
      match: { lastUser: '/use the echo tool/' },
      reply: {
        text: 'Asking the server.',
        toolCalls: [{ id: 'call_echo', name: `mcp__${server}__echo`, arguments: { text: 'hello from the model' } }],
      },
    },
    {
      name: 'echoed',
      match: { lastTool: '/echo: hello from the model/' },
      reply: {
        text: 'Now the environment.',
        toolCalls: [{ id: 'call_env', name: `mcp__${server}__getenv`, arguments: { name: 'ANTHROPIC_API_KEY' } }],
      },
    },
    { name: 'env', match: { lastTool: '/unset|REDACTED|test-key/' }, reply: { text: 'Done.' } },
    { name: 'refused', match: { lastTool: '/denied|not permitted/i' }, reply: { text: 'The call was refused.' } },
    { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
  ],
});

let harnesses: SessionHarness[] = [];
async function harness(server: string): Promise<SessionHarness> {
  const s = await sessionHarness({ scenario: scenario(server) });
  harnesses.push(s);
  // Servers run in the OS sandbox where there is one: the fixtures (and the SDK they import) live
  // in this repository, which a sandboxed process only sees when the user config lets it.
  appendFileSync(
    join(s.h.home, 'config', 'config.yaml'),
    ['security:', '  sandbox:', `    read_only_paths: [${JSON.stringify(ROOT)}]`, ''].join('\n'),
  );
  return s;
}

/** Approve the session's next pending approval of this kind; returns it. */
async function approveNext(s: SessionHarness, session: string, kind: string, scope = 'once') {
  const ev = await s.waitEvent(
    session,
    (e) => e.kind === 'approval_requested' && e.data.kind === kind && !answered.has(String(e.data.approvalId)),
    `a ${kind} approval`,
  );
  const id = String(ev.data.approvalId);
  answered.add(id);
  const r = await s.cli(['approve', id, '--scope', scope]);
  expect(r.code, r.stderr).toBe(0);
  return ev.data as { approvalId: string; summary: string; detail: string };
}
const answered = new Set<string>();
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

const lastToolResult = (body: unknown): string => JSON.stringify((body as { messages: unknown[] }).messages.at(-1));
const toolNames = (body: unknown): string[] =>
  ((body as { tools?: Array<{ name: string }> }).tools ?? []).map((t) => t.name);

describe('MCP servers in sessions', () => {
  it('a server from the user config: added with the CLI, tested, called by the model after approval, audited', async () => {
    const s = await harness('echo');
    const project = s.project('mcp-user');

    const added = await s.cli([
      'mcp',
      'add',
      'echo',
      '--env',
      'GREETING=hi',
      '--env',
      `ECHO_TOKEN=${TOKEN}`,
      '--',
      process.execPath,
      ECHO,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(readFileSync(join(s.h.home, 'config', 'config.yaml'), 'utf8')).toContain('base_url:'); // the provider config is kept
    const listed = await s.json<{ servers: Array<Record<string, unknown>> }>(['mcp', 'list', '-C', project]);
    expect(listed.servers).toEqual([
      expect.objectContaining({
        name: 'echo',
        layer: 'user',
        transport: 'stdio',
        enabled: true,
        launch: expect.stringMatching(/^ECHO_TOKEN=<sha256:[0-9a-f]{12}> GREETING=hi /),
      }),
    ]);
    expect(listed.servers[0]?.launch).toContain(`${process.execPath} ${ECHO}`);
    // A secret-looking value is never shown: not in the list, not by `sylk config get`.
    expect(JSON.stringify(listed)).not.toContain(TOKEN);
    const shown = await s.cli(['config', 'get', 'mcp']);
    expect(shown.stdout).not.toContain(TOKEN);

    const tested = await s.json<{ tools: Array<{ agentName: string; readOnlyHint: boolean }> }>([
      'mcp',
      'test',
      'echo',
      '-C',
      project,
    ]);
    expect(tested.tools.map((t) => t.agentName).sort()).toEqual([
      'mcp__echo__add',
      'mcp__echo__echo',
      'mcp__echo__getenv',
    ]);
    expect(tested.tools.find((t) => t.agentName === 'mcp__echo__echo')?.readOnlyHint).toBe(true);

    // One tool allowed up front (per tool; `sylk mcp allow echo` would allow the whole server).
    const allowed = await s.json<{ pattern: string }>(['mcp', 'allow', 'echo', 'getenv', '-C', project]);
    expect(allowed.pattern).toBe('echo/getenv');

    const created = await startDetached(s, project, 'use the echo tool');
    const approval = await approveNext(s, created.id, 'mcp');
    // Asked although the server calls the tool read-only: the hint is shown, never trusted.
    expect(approval.summary).toBe('call MCP tool echo/echo');
    expect(approval.detail).toContain('only reads (not verified)');
    expect(approval.detail).toContain('hello from the model');
    expect(await s.waitState(created.id, ['idle', 'failed'])).toMatchObject({ state: 'idle' });

    const requests = s.emu.requests();
    expect(requests.map((r) => r.stepName)).toEqual(['call', 'echoed', 'env']);
    expect(toolNames(requests[0]?.body)).toEqual(
      expect.arrayContaining(['run_command', 'mcp__echo__echo', 'mcp__echo__add']),
    );
    expect(lastToolResult(requests[1]?.body)).toContain('echo: hello from the model');
    // The server's environment is the session's minus the secret blocklist: no provider key.
    expect(lastToolResult(requests[2]?.body)).toContain('(unset)');
    const events = await s.events(created.id);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(eventsOfKind(events, 'tool_finished').map((e) => [e.data.name, e.data.isError])).toEqual([
      ['mcp__echo__echo', false],
      ['mcp__echo__getenv', false],
    ]);
    // getenv was allowed by the rule: only echo asked.
    expect(eventsOfKind(events, 'approval_requested').map((e) => e.data.summary)).toEqual(['call MCP tool echo/echo']);

    const running = await s.json<{ servers: Array<Record<string, unknown>> }>(['mcp', 'list', '-C', project]);
    expect(running.servers[0]).toMatchObject({ name: 'echo', state: 'running', tools: ['echo', 'add', 'getenv'] });
    const audit = await s.cli(['audit', 'query', '--category', 'mcp', '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toContain('"target":"echo/echo"');
    expect(audit.stdout).toContain('"action":"tool_call"');

    const removed = await s.cli(['mcp', 'remove', 'echo']);
    expect(removed.code, removed.stderr).toBe(0);
    // The project's config (watched, reloaded on change) follows the user file shortly.
    await waitFor(
      async () => (await s.json<{ servers: unknown[] }>(['mcp', 'list', '-C', project])).servers.length === 0,
      10_000,
      'the server gone from mcp list',
    );
  });

  it("a server from the project's config starts only after its exact command is approved", async () => {
    const s = await harness('proj');
    const project = s.project('mcp-project');
    writeFileSync(
      join(project, '.sylk', 'config.yaml'),
      [
        'mcp:',
        '  servers:',
        '    proj:',
        `      command: ${process.execPath}`,
        `      args: [${JSON.stringify(ECHO)}]`,
        '',
      ].join('\n'),
    );
    const launch = `${process.execPath} ${ECHO}`;

    // `sylk mcp test` without a terminal refuses to run a repository's server unless told to.
    const refused = await s.cli(['mcp', 'test', 'proj', '-C', project]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(launch);
    const tested = await s.cli(['mcp', 'test', 'proj', '--yes', '-C', project]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toContain('mcp__proj__echo');

    const created = await startDetached(s, project, 'use the echo tool');
    const start = await approveNext(s, created.id, 'mcp_server', 'always');
    expect(start.detail).toBe(launch);
    expect(start.summary).toContain("from the project's config");
    await approveNext(s, created.id, 'mcp', 'session');
    await approveNext(s, created.id, 'mcp');
    expect(await s.waitState(created.id, ['idle', 'failed'])).toMatchObject({ state: 'idle' });
    expect(s.emu.requests().map((r) => r.stepName)).toEqual(['call', 'echoed', 'env']);
    expect(lastToolResult(s.emu.requests()[1]?.body)).toContain('echo: hello from the model');

    // "allow always" is remembered for this project and this exact command line.
    // (A long command line is folded over lines in the YAML: compare with the folds undone.)
    const allowlist = readFileSync(join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`), 'utf8');
    expect(allowlist.replace(/\n\s+/g, ' ')).toContain(`pattern: proj ${launch}`);
  });

  it('a denied project server is not started and the model never sees its tools', async () => {
    const s = await harness('proj');
    const project = s.project('mcp-denied');
    writeFileSync(
      join(project, '.sylk', 'config.yaml'),
      [
        'mcp:',
        '  servers:',
        '    proj:',
        `      command: ${process.execPath}`,
        `      args: [${JSON.stringify(ECHO)}]`,
        '',
      ].join('\n'),
    );
    const created = await startDetached(s, project, 'use the echo tool');
    const start = await s.waitApproval(created.id);
    expect(start.kind).toBe('mcp_server');
    expect((await s.cli(['deny', start.id])).code).toBe(0);
    await s.waitState(created.id, ['idle', 'failed']);
    const first = s.emu.requests()[0];
    expect(toolNames(first?.body)).not.toContain('mcp__proj__echo');
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'notice').map((e) => String(e.data.message))).toEqual(
      expect.arrayContaining([expect.stringContaining('MCP server proj from the project')]),
    );
    const listed = await s.json<{ servers: Array<Record<string, unknown>> }>(['mcp', 'list', '-C', project]);
    expect(listed.servers[0]).toMatchObject({ name: 'proj', layer: 'project', state: 'stopped' });
  });

  it('servers that crash, hang or break JSON-RPC give the model clear tool errors; sylkd stays up', async () => {
    const broken: Scenario = {
      name: 'e2e-mcp-broken',
      apiKey: KEY,
      steps: [
        {
          name: 'calls',
          match: { lastUser: '/break things/' },
          reply: {
            text: 'Calling the broken servers.',
            toolCalls: [
              { id: 'call_crash', name: 'mcp__crashy__crash', arguments: {} },
              { id: 'call_hang', name: 'mcp__stuck__wait', arguments: {} },
              { id: 'call_bad', name: 'mcp__garbled__garble', arguments: {} },
            ],
          },
        },
        { name: 'after', match: { lastTool: '/./' }, reply: { text: 'All three failed.' } },
      ],
    };
    const s = await sessionHarness({ scenario: broken });
    harnesses.push(s);
    const server = (name: string, file: string) => [
      `    ${name}:`,
      `      command: ${process.execPath}`,
      `      args: [${JSON.stringify(join(FIXTURES, 'mcp', file))}]`,
    ];
    appendFileSync(
      join(s.h.home, 'config', 'config.yaml'),
      [
        'security:',
        '  sandbox:',
        `    read_only_paths: [${JSON.stringify(ROOT)}]`,
        'mcp:',
        '  call_timeout_seconds: 3',
        '  servers:',
        ...server('crashy', 'crash.mjs'),
        ...server('stuck', 'hang.mjs'),
        ...server('garbled', 'bad-json.mjs'),
        '',
      ].join('\n'),
    );
    const project = s.project('mcp-broken');
    for (const name of ['crashy', 'stuck', 'garbled'])
      expect((await s.cli(['mcp', 'allow', name, '-C', project])).code).toBe(0);

    const created = await startDetached(s, project, 'break things');
    expect(await s.waitState(created.id, ['idle', 'failed'], 60_000)).toMatchObject({ state: 'idle' });
    const events = await s.events(created.id);
    const finished = eventsOfKind(events, 'tool_finished');
    expect(finished.map((e) => [e.data.name, e.data.isError])).toEqual([
      ['mcp__crashy__crash', true],
      ['mcp__stuck__wait', true],
      ['mcp__garbled__garble', true],
    ]);
    const results = JSON.stringify((s.emu.requests().at(-1)?.body as { messages: unknown[] }).messages.at(-1));
    expect(results).toContain('MCP server \\"crashy\\" exited (exit code 3)');
    expect(results).toContain('crashed on purpose');
    expect(results).toContain('no answer within 3 s');
    expect(results).toContain('not JSON-RPC');
    // The daemon is still there, and says what became of each server.
    const listed = await s.json<{ servers: Array<{ name: string; state: string }> }>(['mcp', 'list', '-C', project]);
    expect(Object.fromEntries(listed.servers.map((x) => [x.name, x.state]))).toEqual({
      crashy: 'crashed',
      garbled: 'crashed',
      stuck: 'running',
    });
  });
});
