import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, systemClock, ManualClock, isSylkError } from '@sylk/core';
import { McpManager } from './manager.js';
import { serversFromConfig } from './spec.js';
import type { LaunchContext, McpServerSpec, McpSettings } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mcp/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function stdio(name: string, file: string, env: Record<string, string> = {}): McpServerSpec {
  return {
    name,
    origin: 'user',
    enabled: true,
    transport: 'stdio',
    command: process.execPath,
    args: [`${FIXTURES}${file}`],
    env,
  };
}

const launch: LaunchContext = { owner: 's1', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' } };
let settings: McpSettings = { callTimeoutMs: 5000, startTimeoutMs: 15_000, idleStopMs: 0, maxResultBytes: 4096 };
const managers: McpManager[] = [];

function manager(specs: McpServerSpec[], clock = systemClock): McpManager {
  const m = new McpManager({
    projectRoot: ROOT,
    clock,
    logger: silentLogger(),
    settings: () => settings,
    restart: { initialMs: 50, maxMs: 200, maxFailures: 3 },
  });
  m.configure(specs);
  managers.push(m);
  return m;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isSylkError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

afterEach(async () => {
  settings = { callTimeoutMs: 5000, startTimeoutMs: 15_000, idleStopMs: 0, maxResultBytes: 4096 };
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

describe('McpManager with real SDK servers', () => {
  it('lists and calls tools; the env is the launch env plus the server env, nothing else', async () => {
    const m = manager([stdio('echo', 'echo.mjs', { GREETING: 'hi' })]);
    const [listed] = await m.tools(['echo'], launch);
    expect(listed?.ok).toBe(true);
    const tools = listed?.ok ? listed.tools : [];
    expect(tools.map((t) => t.name).sort()).toEqual(['add', 'echo', 'getenv']);
    expect(tools.find((t) => t.name === 'echo')?.readOnlyHint).toBe(true);
    expect(await m.call('echo', 'echo', { text: 'hello' }, launch)).toEqual({
      text: 'echo: hello',
      isError: false,
      truncated: false,
      bytes: 11,
    });
    expect((await m.call('echo', 'add', { a: 2, b: 40 }, launch)).text).toBe('42');
    expect((await m.call('echo', 'getenv', { name: 'GREETING' }, launch)).text).toBe('hi');
    // The daemon's own environment (this test process) does not leak into the server.
    process.env.SYLK_MCP_TEST_LEAK = 'leaked';
    expect((await m.call('echo', 'getenv', { name: 'SYLK_MCP_TEST_LEAK' }, launch)).text).toBe('(unset)');
    delete process.env.SYLK_MCP_TEST_LEAK;
    expect(m.status()[0]).toMatchObject({ name: 'echo', state: 'running', tools: ['echo', 'add', 'getenv'] });
  });

  it('a crashing server gives a clear error with its stderr, then is restarted', async () => {
    const m = manager([stdio('crashy', 'crash.mjs')]);
    const err = await failure(m.call('crashy', 'crash', {}, launch));
    expect(err.code).toBe('mcp.server_exited');
    expect(err.message).toContain('exit code 3');
    expect(err.message).toContain('crashed on purpose');
    expect(m.status()[0]?.state).toBe('crashed');
    // Next use restarts it after the backoff; the tool list is still known.
    const [listed] = await m.tools(['crashy'], launch);
    expect(listed?.ok).toBe(true);
    await failure(m.call('crashy', 'crash', {}, launch));
    expect(m.status()[0]).toMatchObject({ state: 'crashed', restarts: 1 });
    await failure(m.call('crashy', 'crash', {}, launch));
    // Three crashes in a row: it stays down with a user-fixable error.
    const last = await failure(m.call('crashy', 'crash', {}, launch));
    expect(last.code).toBe('mcp.server_failed');
    expect(m.status()[0]?.state).toBe('failed');
  });

  it('a call to a hanging server times out, and the server keeps serving', async () => {
    settings = { ...settings, callTimeoutMs: 400 };
    const m = manager([stdio('stuck', 'hang.mjs')]);
    const err = await failure(m.call('stuck', 'wait', {}, launch));
    expect(err).toEqual({ code: 'mcp.timeout', message: expect.stringContaining('no answer within 0 s') });
    expect(m.status()[0]?.state).toBe('running');
  });

  it('a cancelled call ends at once (long before its timeout), also when cancelled while the server starts', async () => {
    settings = { ...settings, callTimeoutMs: 120_000 };
    const m = manager([stdio('stuck', 'hang.mjs')]);
    const early = new AbortController();
    early.abort(new Error('turn cancelled'));
    expect((await failure(m.call('stuck', 'wait', {}, launch, early.signal))).code).toBe('cancelled');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('turn cancelled')), 300);
    expect((await failure(m.call('stuck', 'wait', {}, launch, ac.signal))).code).toBe('cancelled');
  });

  it('a huge result is cut to head and tail with a note', async () => {
    const m = manager([stdio('big', 'huge.mjs')]);
    const r = await m.call('big', 'dump', { lines: 5000 }, launch);
    expect(r.truncated).toBe(true);
    expect(r.bytes).toBeGreaterThan(300_000);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(4096);
    expect(r.text).toMatch(/^line 1 x/);
    expect(r.text).toContain('line 5000 x');
    expect(r.text).toMatch(/… \d+ bytes omitted …/);
    expect(r.text).toContain('[result truncated:');
  });

  it('bad JSON-RPC fails the call with a protocol error instead of hanging', async () => {
    // A timeout far beyond the test's own: only the protocol error can end the call in time.
    settings = { ...settings, callTimeoutMs: 120_000 };
    const m = manager([stdio('garbled', 'bad-json.mjs')]);
    const err = await failure(m.call('garbled', 'garble', {}, launch));
    expect(err.code).toBe('mcp.protocol_error');
    expect(err.message).toContain('not JSON-RPC');
    // The broken server is closed, to be restarted on the next call.
    await waitFor(() => m.status()[0]?.state === 'crashed');
  });

  it('a command that does not exist is a user-fixable spawn error', async () => {
    const m = manager([{ ...stdio('nope', 'echo.mjs'), command: '/nonexistent/mcp-server' }]);
    const [listed] = await m.tools(['nope'], launch);
    expect(listed?.ok).toBe(false);
    expect(listed?.ok === false && isSylkError(listed.error) ? listed.error.code : '').toBe('mcp.spawn_failed');
  });

  it("stops idle servers and starts them again on the next call; release stops an owner's servers", async () => {
    const clock = new ManualClock(0);
    settings = { ...settings, idleStopMs: 60_000 };
    const m = manager([stdio('echo', 'echo.mjs')], clock);
    await m.call('echo', 'echo', { text: 'a' }, launch);
    const pid = m.status()[0]?.pid;
    expect(await m.sweep()).toEqual([]);
    clock.advance(61_000);
    expect(await m.sweep()).toEqual(['echo']);
    expect(m.status()[0]?.state).toBe('stopped');
    expect(pid !== undefined && alive(pid)).toBe(false);
    expect((await m.call('echo', 'echo', { text: 'b' }, launch)).text).toBe('echo: b');
    await m.release('other-session');
    expect(m.status()[0]?.state).toBe('running');
    await m.release('s1');
    expect(m.status()[0]?.state).toBe('stopped');
  });

  it('a changed definition stops the old process; an unknown server is a clear error', async () => {
    const m = manager([stdio('echo', 'echo.mjs')]);
    await m.call('echo', 'echo', { text: 'a' }, launch);
    const pid = m.status()[0]?.pid as number;
    m.configure([stdio('echo', 'echo.mjs', { X: '1' })]);
    await waitFor(() => !alive(pid));
    expect((await failure(m.call('other', 'echo', {}, launch))).code).toBe('mcp.unknown_server');
  });

  it('talks streamable HTTP to a remote server', async () => {
    const child = spawn(process.execPath, [`${FIXTURES}http.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<string>((resolve) =>
        child.stdout.on('data', (d: Buffer) => resolve(/listening (\d+)/.exec(d.toString())?.[1] ?? '')),
      );
      const m = manager([
        { name: 'remote', origin: 'user', enabled: true, transport: 'http', url: `http://127.0.0.1:${port}/mcp` },
      ]);
      expect((await m.call('remote', 'echo', { text: 'over http' }, launch)).text).toBe('echo: over http');
    } finally {
      child.kill();
    }
  });
});

describe('serversFromConfig', () => {
  it('needs exactly one of command and url', () => {
    const entry = { command: '', args: [], url: '', env: {}, enabled: true };
    const { specs, problems } = serversFromConfig(
      {
        a: entry,
        b: { ...entry, command: 'x', url: 'http://y' },
        c: { ...entry, command: 'npx', args: ['srv'] },
        d: { ...entry, url: 'https://h/mcp' },
      },
      (n) => (n === 'c' ? 'user' : 'project'),
    );
    expect(problems.map((p) => p.name)).toEqual(['a', 'b']);
    expect(specs).toEqual([
      { name: 'c', origin: 'user', enabled: true, transport: 'stdio', command: 'npx', args: ['srv'], env: {} },
      { name: 'd', origin: 'project', enabled: true, transport: 'http', url: 'https://h/mcp' },
    ]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

describe('launchLine', () => {
  it('shows the exact command, quoting where needed, with secret values as fingerprints', async () => {
    const { launchLine } = await import('./spec.js');
    const line = launchLine({
      name: 'gh',
      origin: 'project',
      enabled: true,
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'server x'],
      env: { GITHUB_TOKEN: 'ghp_secretvalue', MODE: 'a b' },
    });
    expect(line).toMatch(/^GITHUB_TOKEN=<sha256:[0-9a-f]{12}> MODE='a b' npx -y 'server x'$/);
    expect(line).not.toContain('ghp_secretvalue');
  });
});
