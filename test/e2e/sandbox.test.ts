// The OS sandbox end to end: a scripted model's commands, all approved, run through the real sylkd
// inside bubblewrap. Each escape fails inside the sandbox (not by policy), the project stays
// writable, and `sylk sandbox status`, `sylk doctor` and `sylk status` report it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHarness, type SessionHarness } from '../helpers/sessions.js';
import { probeScenario, runProbe, type Probe, type ProbeRun } from '../helpers/hostile.js';

const tag = randomBytes(6).toString('hex');
const SSH_KEY = `SANDBOX-SSH-KEY-${tag}`;
let s: SessionHarness;
let proj: string;
let outside: string;
let server: Server;
let port = 0;
const hits: string[] = [];

const cmd = (command: string) => [{ name: 'run_command', arguments: { command } }];
const PROBES = (): Probe[] => [
  {
    name: 'environ',
    calls: cmd('cat /proc/1/environ | tr "\\0" "\\n"; cat /proc/$PPID/environ | tr "\\0" "\\n"; ls /proc'),
  },
  { name: 'ssh', calls: cmd('ls -la ~/.ssh; cat ~/.ssh/id_rsa') },
  { name: 'hooks', calls: cmd('echo "touch HOOKED" > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout') },
  { name: 'outside', calls: cmd(`echo escaped > ${join('OUTSIDE', 'x.txt')}`) },
  {
    name: 'network',
    calls: cmd(
      `node -e "require('http').get('http://127.0.0.1:PORT/leak', (r) => console.log('REACHED', r.statusCode))` +
        `.on('error', (e) => console.log('NETFAIL', e.code))"`,
    ),
  },
  { name: 'writable', calls: cmd('echo made-in-sandbox > made.txt && cat made.txt') },
];

const runs = new Map<string, ProbeRun>();
const toolText = (run: ProbeRun) =>
  run.events
    .filter((e) => e.kind === 'tool_output' || e.kind === 'tool_finished')
    .map((e) => JSON.stringify(e.data))
    .join('\n');

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('leaked');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const probes = PROBES().map((p) => ({
    ...p,
    calls: p.calls.map((c) => ({
      ...c,
      arguments: { command: String(c.arguments.command).replace('PORT', String(port)) },
    })),
  }));
  s = await sessionHarness({ scenario: probeScenario('sandbox', 'test-key', probes) });
  const home = s.h.env.HOME as string;
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'id_rsa'), SSH_KEY);
  outside = join(s.h.home, 'outside');
  mkdirSync(outside);
  proj = s.project('sandboxed', { 'README.md': '# project\n' });
  const git = spawnSync('git', ['init', '-q', proj]);
  expect(git.status).toBe(0);
  for (const probe of probes) {
    if (probe.name === 'outside')
      probe.calls[0]!.arguments.command = String(probe.calls[0]!.arguments.command).replace('OUTSIDE', outside);
  }
  // Approve everything: what contains the commands here is the sandbox, not the approvals.
  for (const probe of probes) runs.set(probe.name, await runProbe(s, proj, probe.name, () => true));
}, 240_000);

afterAll(async () => {
  await s?.cleanup();
  server?.close();
});

describe('sandboxed commands (approved) cannot escape', () => {
  it("see only the sandbox's own processes; the daemon's environment is not readable", () => {
    const run = runs.get('environ') as ProbeRun;
    expect(run.finished.map((f) => f.name)).toEqual(['run_command']);
    expect(run.modelSaw).not.toContain('ANTHROPIC_API_KEY');
    // Only the sandbox's few processes are visible, none of the host's.
    const pids = toolText(run).match(/"line":"\d+"/g) ?? [];
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.length).toBeLessThan(8);
    expect(run.eventText).not.toContain('ANTHROPIC_API_KEY');
  });

  it('cannot read ~/.ssh: $HOME is an empty tmpfs', () => {
    const run = runs.get('ssh') as ProbeRun;
    expect(run.modelSaw).not.toContain(SSH_KEY);
    expect(toolText(run)).toContain('No such file or directory');
  });

  it('cannot write .git/hooks: Read-only file system', () => {
    const run = runs.get('hooks') as ProbeRun;
    expect(existsSync(join(proj, '.git', 'hooks', 'post-checkout'))).toBe(false);
    expect(toolText(run)).toContain('Read-only file system');
  });

  it('cannot write outside the project', () => {
    expect(existsSync(join(outside, 'x.txt'))).toBe(false);
    // The directory does not exist inside the sandbox (dash: "Directory nonexistent").
    expect(toolText(runs.get('outside') as ProbeRun)).toMatch(/No such file or directory|Directory nonexistent/);
  });

  it("cannot reach the network directly (not even the host's loopback)", () => {
    const text = toolText(runs.get('network') as ProbeRun);
    expect(text).toContain('NETFAIL');
    expect(text).not.toContain('REACHED');
    expect(hits).toEqual([]);
  });

  it('can write the project', () => {
    expect(readFileSync(join(proj, 'made.txt'), 'utf8')).toBe('made-in-sandbox\n');
    expect(toolText(runs.get('writable') as ProbeRun)).toContain('made-in-sandbox');
  });
});

describe('reporting', () => {
  it('`sylk sandbox status --json` reports enforced/bubblewrap with the project rw and .git ro', async () => {
    const st = await s.json<{
      mode: string;
      backend: string;
      available: boolean;
      mounts: Array<{ mode: string; path: string }>;
      limits: Record<string, number>;
    }>(['sandbox', 'status', '--project', proj]);
    expect(st).toMatchObject({ mode: 'enforced', backend: 'bubblewrap', available: true });
    expect(st.mounts).toContainEqual(expect.objectContaining({ mode: 'rw', path: proj }));
    expect(st.mounts).toContainEqual(expect.objectContaining({ mode: 'ro', path: join(proj, '.git') }));
    // The test's $HOME lies under /tmp, which is the sandbox's own empty tmpfs.
    expect(st.mounts).toContainEqual(expect.objectContaining({ mode: 'tmpfs', path: '/tmp' }));
    expect(st.limits).toMatchObject({ cpu_seconds: 600, memory_mb: 4096, open_files: 1024, processes: 256 });
    const human = await s.cli(['sandbox', 'status', '--project', proj]);
    expect(human.stdout).toContain('enforced');
    expect(human.stdout).toContain(`rw       ${proj}`);
  });

  it('`sylk doctor --json` passes the sandbox check; `sylk status` has a sandbox line', async () => {
    const doc = await s.json<{ ok: boolean; checks: Array<{ name: string; status: string }> }>(['doctor']);
    expect(doc.checks.find((c) => c.name === 'daemon')?.status).toBe('ok');
    expect(doc.checks.find((c) => c.name === 'sandbox')?.status).toBe('ok');
    expect(doc.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'node',
        'daemon',
        'config',
        'storage',
        'disk',
        'sandbox',
        'socat',
        'git',
        'keys',
        'service',
      ]),
    );
    const status = await s.cli(['status']);
    expect(status.stdout).toMatch(/sandbox\s+enforced \(bubblewrap/);
    // One call: the daemon's Status carries the sandbox in brief.
    const json = JSON.parse((await s.cli(['status', '--json'])).stdout) as { sandbox: unknown };
    expect(json.sandbox).toEqual({ mode: 'enforced', backend: 'bubblewrap', reason: null, fix: null });
  });
});
