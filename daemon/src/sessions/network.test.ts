// Session proxies over real sockets with a real permission manager; only the approval prompt is
// played by the test (the real flow runs in test/e2e/network-proxy.test.ts).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import type { NetworkConfig } from '@sylk/config';
import { PermissionManager, Role, type AuditRecord } from '@sylk/security';
import type { Approval, ApprovalDecision } from '@sylk/sessions';
import { MAX_PENDING_QUESTIONS, SessionNetworks, type SessionNetworkAccess } from './network.js';
import type { ApprovalBridge } from './permissions.js';

let dir: string;
let project: string;
let echo: net.Server;
let port: number;
let networks: SessionNetworks;
let config: NetworkConfig;
let audit: AuditRecord[];
const clock = new ManualClock(1_700_000_000_000);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-net-'));
  project = join(dir, 'project');
  mkdirSync(join(project, '.sylk'), { recursive: true });
  mkdirSync(join(dir, 'home'));
  echo = net.createServer((s) => s.on('error', () => undefined).pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  port = (echo.address() as net.AddressInfo).port;
  const local = ['allowed.test', 'x.wild.test', 'registry.npmjs.org', 'new.test', 'other.test'];
  config = {
    proxy: true,
    allowed_domains: ['allowed.test', '*.wild.test'],
    host_overrides: Object.fromEntries(local.map((h) => [h, '127.0.0.1'])),
  };
  audit = [];
  networks = new SessionNetworks({
    runtimeDir: join(dir, 'run'),
    fallbackDir: dir,
    config: () => config,
    logger: silentLogger(),
    audit: { record: (r) => audit.push(r) },
  });
});

afterEach(async () => {
  await networks.closeAll();
  await new Promise((r) => echo.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** An approval prompt the test answers. */
function prompt() {
  const asked: Array<{ kind: string; summary: string; detail: string }> = [];
  let answer: (decision: ApprovalDecision) => void = () => undefined;
  let changed = 0;
  const bridge: ApprovalBridge = {
    ask: (req, signal) =>
      new Promise<Approval>((resolve, reject) => {
        asked.push(req);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        answer = (decision) => resolve({ decision, message: null } as Approval);
      }),
    predecided: () => undefined,
    allowlistChanged: () => void changed++,
  };
  return { bridge, asked, answer: (d: ApprovalDecision) => answer(d), changes: () => changed };
}

function manager(role: Role = Role.Worker): PermissionManager {
  return new PermissionManager({
    projectRoot: project,
    role,
    homeDir: join(dir, 'home'),
    allowlistFile: join(dir, 'state', 'permissions.yaml'),
    clock,
  });
}

function access(pm: PermissionManager, bridge: ApprovalBridge | undefined, sessionId = 'ses_1'): SessionNetworkAccess {
  return { sessionId, projectRoot: project, permissions: () => pm, bridge: () => bridge };
}

function connect(socketPath: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status !== undefined && text.includes('\r\n\r\n')) {
        s.destroy();
        resolve(Number(status));
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(0));
    s.write(`CONNECT ${host}:${port} HTTP/1.1\r\n\r\n`);
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('session network proxies', () => {
  it('allows registries and allowed_domains without asking, and audits each connection', async () => {
    const p = prompt();
    const socket = await networks.open(access(manager(), p.bridge));
    expect(socket).toBe(join(dir, 'run', 'proxy', 'ses_1.sock'));
    expect(await connect(socket as string, 'registry.npmjs.org')).toBe(200);
    expect(await connect(socket as string, 'allowed.test')).toBe(200);
    expect(await connect(socket as string, 'x.wild.test')).toBe(200);
    expect(p.asked).toEqual([]);
    expect(audit.map((r) => [r.category, r.action, r.target, r.outcome, r.sessionId])).toEqual([
      ['network', 'connect', `registry.npmjs.org:${port}`, 'allow', 'ses_1'],
      ['network', 'connect', `allowed.test:${port}`, 'allow', 'ses_1'],
      ['network', 'connect', `x.wild.test:${port}`, 'allow', 'ses_1'],
    ]);
    expect(networks.counters()).toEqual({ allowed: 3, blocked: 0, asked: 0 });
  });

  it('asks once for parallel connections to a new domain; "allow session" covers later ones', async () => {
    const p = prompt();
    const socket = (await networks.open(access(manager(), p.bridge))) as string;
    const both = Promise.all([connect(socket, 'new.test'), connect(socket, 'new.test')]);
    await until(() => p.asked.length === 1);
    expect(p.asked[0]).toMatchObject({ kind: 'network', summary: 'connect to new.test', detail: 'new.test' });
    p.answer('allow_session');
    expect(await both).toEqual([200, 200]);
    expect(await connect(socket, 'new.test')).toBe(200);
    expect(p.asked).toHaveLength(1);
    expect(networks.counters()).toEqual({ allowed: 3, blocked: 0, asked: 2 });
  });

  it('answers a denial with 403 and persists "allow always" as a project domain rule', async () => {
    const p = prompt();
    const pm = manager();
    const socket = (await networks.open(access(pm, p.bridge))) as string;
    const denied = connect(socket, 'other.test');
    await until(() => p.asked.length === 1);
    p.answer('deny');
    expect(await denied).toBe(403);
    expect(audit.at(-1)).toMatchObject({
      target: `other.test:${port}`,
      outcome: 'blocked',
      severity: 'warning',
      details: { asked: true, reason: 'The user denied this' },
    });

    const always = connect(socket, 'new.test');
    await until(() => p.asked.length === 2);
    p.answer('allow_always');
    expect(await always).toBe(200);
    expect(pm.list().map((r) => [r.kind, r.pattern])).toContainEqual(['domain', 'new.test']);
    expect(p.changes()).toBe(1);
    expect(manager().check({ kind: 'network', domain: 'new.test' }).verdict).toBe('allow');
  });

  it('keeps at most a few questions waiting: further new domains are refused at once', async () => {
    const p = prompt();
    const socket = (await networks.open(access(manager(), p.bridge))) as string;
    config = {
      ...config,
      host_overrides: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`n${i}.test`, '127.0.0.1'])),
    };
    const waiting = [0, 1, 2, 3].map((i) => connect(socket, `n${i}.test`));
    await until(() => p.asked.length === MAX_PENDING_QUESTIONS);
    expect(await connect(socket, 'n4.test')).toBe(403);
    expect(p.asked).toHaveLength(MAX_PENDING_QUESTIONS);
    await networks.close('ses_1');
    await Promise.all(waiting);
  });

  it('refuses without asking when the role may not use the network or nobody can be asked', async () => {
    const p = prompt();
    const observer = (await networks.open(access(manager(Role.Observer), p.bridge, 'ses_obs'))) as string;
    expect(await connect(observer, 'allowed.test')).toBe(403);
    const early = (await networks.open(access(manager(), undefined, 'ses_early'))) as string;
    expect(await connect(early, 'new.test')).toBe(403);
    expect(await connect(early, 'allowed.test')).toBe(200);
    expect(p.asked).toEqual([]);
  });

  it('cuts a pending question when the session closes and keeps its counts', async () => {
    const p = prompt();
    const socket = (await networks.open(access(manager(), p.bridge))) as string;
    const pending = connect(socket, 'new.test').catch(() => 0);
    await until(() => p.asked.length === 1);
    await networks.close('ses_1');
    expect([0, 403]).toContain(await pending);
    expect(existsSync(socket)).toBe(false);
    expect(networks.socketFor('ses_1')).toBeUndefined();
    expect(networks.counters()).toMatchObject({ blocked: 1 });
  });

  it('falls back to a short directory when the runtime dir makes the socket path too long', async () => {
    const deep = join(dir, 'r'.repeat(90));
    const long = new SessionNetworks({
      runtimeDir: deep,
      fallbackDir: dir,
      config: () => config,
      logger: silentLogger(),
    });
    const socket = (await long.open(access(manager(), prompt().bridge, 'ses_long'))) as string;
    expect(socket.startsWith(join(dir, 'sylk-px-'))).toBe(true);
    expect(await connect(socket, 'allowed.test')).toBe(200);
    await long.closeAll();
    expect(existsSync(socket)).toBe(false);
  });

  it('reports status per session and over all; off in config means no proxy and no socket', async () => {
    await networks.open(access(manager(), prompt().bridge, 'ses_a'));
    await networks.open(access(manager(), prompt().bridge, 'ses_b'));
    expect(networks.status('ses_a')).toMatchObject({
      enabled: true,
      endpoint: join(dir, 'run', 'proxy', 'ses_a.sock'),
    });
    expect(networks.status().endpoint).toContain('2 session proxies');
    expect(networks.status().allowedDomains).toEqual(
      expect.arrayContaining(['registry.npmjs.org', 'allowed.test', '*.wild.test']),
    );
    expect(networks.socketPath(project)).toMatch(/ses_[ab]\.sock$/);
    config = { ...config, proxy: false };
    expect(networks.socketFor('ses_a')).toBeUndefined();
    expect(await networks.open(access(manager(), prompt().bridge, 'ses_c'))).toBeUndefined();
  });
});
