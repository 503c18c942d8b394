// The proxy over real sockets: a Unix socket in front, loopback TCP and HTTP servers behind,
// reached by names mapped to 127.0.0.1 through host overrides.
import { lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetworkProxy } from './server.js';
import type { NetworkProxyOptions, ProxyOutcome, ProxyRequest, ProxyVerdict } from './types.js';

let dir: string;
let echo: net.Server;
let echoPort: number;
let echoConnections: number;
let web: http.Server;
let webPort: number;
let seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }>;
const proxies: NetworkProxy[] = [];
const clients: net.Socket[] = [];

function listenLocal(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-px-'));
  echoConnections = 0;
  echo = net.createServer((s) => {
    echoConnections++;
    s.on('error', () => undefined);
    s.pipe(s);
  });
  echoPort = await listenLocal(echo);
  seen = [];
  web = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive',
        'keep-alive': 'timeout=99',
        'x-upstream': 'yes',
      });
      res.end(`hello from loopback ${req.method} ${req.url}`);
    });
  });
  webPort = await listenLocal(web);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await new Promise((r) => echo.close(r));
  web.closeAllConnections();
  await new Promise((r) => web.close(r));
  rmSync(dir, { recursive: true, force: true });
});

interface Harness {
  proxy: NetworkProxy;
  path: string;
  asked: ProxyRequest[];
  outcomes: ProxyOutcome[];
}

async function start(opts: Partial<NetworkProxyOptions> = {}): Promise<Harness> {
  const asked: ProxyRequest[] = [];
  const outcomes: ProxyOutcome[] = [];
  const proxy = new NetworkProxy({
    authorize: async (req): Promise<ProxyVerdict> => {
      asked.push(req);
      return req.host === 'allowed.test'
        ? { allow: true }
        : { allow: false, reason: `${req.host} is not in the allowlist` };
    },
    hostOverrides: () => ({ 'allowed.test': '127.0.0.1', 'other.test': '127.0.0.1', 'broken.test': 'not-an-ip' }),
    resolve: async (host) =>
      host === 'rebind.test' ? ['127.0.0.1'] : host === 'mixed.test' ? ['10.0.0.1', '::1'] : [],
    onOutcome: (o) => outcomes.push(o),
    ...opts,
  });
  proxies.push(proxy);
  const path = join(dir, 'run', 'proxy.sock');
  await proxy.listen(path);
  return { proxy, path, asked, outcomes };
}

/** Write raw bytes, collect everything until the proxy closes the connection (or `until` matches). */
function exchange(path: string, data: string | Buffer, until?: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    clients.push(socket);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until?.(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write(data);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('CONNECT', () => {
  it('tunnels an allowed name to the loopback server it is mapped to', async () => {
    const { path, asked, proxy, outcomes } = await start();
    const out = await exchange(
      path,
      `CONNECT allowed.test:${echoPort} HTTP/1.1\r\nHost: allowed.test:${echoPort}\r\n\r\nping through the tunnel`,
      (t) => t.includes('ping through'),
    );
    expect(statusOf(out)).toBe(200);
    expect(bodyOf(out)).toBe('ping through the tunnel');
    expect(asked).toEqual([{ host: 'allowed.test', port: echoPort, scheme: 'https' }]);
    expect(proxy.counters()).toMatchObject({ allowed: 1, blocked: 0 });
    expect(outcomes).toEqual([
      expect.objectContaining({ host: 'allowed.test', outcome: 'allowed', address: '127.0.0.1' }),
    ]);
  });

  it('answers another name with a 403 that says how to allow it, without connecting', async () => {
    const { path, proxy, outcomes } = await start();
    const out = await exchange(path, `CONNECT other.test:${echoPort} HTTP/1.1\r\n\r\n`);
    expect(statusOf(out)).toBe(403);
    const body = bodyOf(out);
    expect(body.trim().split('\n')).toHaveLength(1);
    expect(body).toContain('other.test');
    expect(body).toContain('security.network.allowed_domains');
    expect(body).toContain('approve it when Sylk asks');
    expect(echoConnections).toBe(0);
    expect(proxy.counters()).toMatchObject({ allowed: 0, blocked: 1 });
    expect(outcomes[0]).toMatchObject({
      host: 'other.test',
      outcome: 'blocked',
      reason: 'other.test is not in the allowlist',
    });
  });

  it.each([
    ['127.0.0.1:443', 'loopback'],
    ['10.0.0.8:443', 'private'],
    ['169.254.169.254:80', 'metadata'],
    ['[::1]:443', 'loopback'],
    ['[::ffff:127.0.0.1]:443', 'loopback'],
    ['0.0.0.0:80', 'unspecified'],
  ])('refuses the address %s before asking (%s)', async (authority, what) => {
    const { path, asked } = await start({ authorize: async () => ({ allow: true }) });
    const out = await exchange(path, `CONNECT ${authority} HTTP/1.1\r\n\r\n`);
    expect(statusOf(out)).toBe(403);
    expect(bodyOf(out)).toContain(what);
    expect(bodyOf(out)).toContain('host_overrides');
    expect(asked).toEqual([]);
  });

  it('refuses a name that resolves to a local address (DNS rebinding)', async () => {
    const { path, proxy } = await start({ authorize: async () => ({ allow: true }) });
    for (const name of ['rebind.test', 'mixed.test']) {
      const out = await exchange(path, `CONNECT ${name}:443 HTTP/1.1\r\n\r\n`);
      expect(statusOf(out), name).toBe(403);
      expect(bodyOf(out)).toMatch(/resolves to (127\.0\.0\.1|10\.0\.0\.1)/);
    }
    expect(proxy.counters().blocked).toBe(2);
  });

  it('allows only ports 80 and 443 except for host_overrides names', async () => {
    const { path, asked } = await start({ authorize: async () => ({ allow: true }) });
    const out = await exchange(path, 'CONNECT example.com:22 HTTP/1.1\r\n\r\n');
    expect(statusOf(out)).toBe(403);
    expect(bodyOf(out)).toContain('only ports 80, 443 are allowed');
    expect(asked).toEqual([]);
  });

  it('answers 502 when the upstream refuses or the override is not an address', async () => {
    const closed = net.createServer();
    const deadPort = await listenLocal(closed);
    await new Promise((r) => closed.close(r));
    const { path, proxy } = await start();
    const out = await exchange(path, `CONNECT allowed.test:${deadPort} HTTP/1.1\r\n\r\n`);
    expect(statusOf(out)).toBe(502);
    expect(bodyOf(out)).toContain('ECONNREFUSED');
    const broken = await exchange(path, 'CONNECT broken.test:443 HTTP/1.1\r\n\r\n');
    // broken.test is not allowed by the test policy: the policy answers before the override is used.
    expect(statusOf(broken)).toBe(403);
    expect(proxy.counters()).toMatchObject({ allowed: 1, failed: 1, blocked: 1 });
  });

  it('waits for a pending decision, then tunnels; a client that leaves aborts the wait', async () => {
    let release: (v: ProxyVerdict) => void = () => undefined;
    const signals: AbortSignal[] = [];
    const { path, proxy } = await start({
      authorize: (_req, signal) => {
        signals.push(signal);
        return new Promise((resolve) => (release = resolve));
      },
    });
    const pending = exchange(path, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\nearly bytes`, (t) =>
      t.includes('early bytes'),
    );
    await waitUntil(() => signals.length === 1);
    expect(echoConnections).toBe(0);
    release({ allow: true, asked: true });
    const out = await pending;
    expect(statusOf(out)).toBe(200);
    expect(bodyOf(out)).toBe('early bytes');
    expect(proxy.counters()).toMatchObject({ allowed: 1, asked: 1 });

    const leaving = net.connect(path);
    clients.push(leaving);
    leaving.write(`CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\n`);
    await waitUntil(() => signals.length === 2);
    leaving.destroy();
    await waitUntil(() => signals[1]?.aborted === true);
    release({ allow: true });
  });

  it('passes a half-close through the tunnel and then lets both ends go', async () => {
    const { path } = await start();
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(path);
      clients.push(s);
      let text = '';
      s.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.endsWith('\r\n\r\n')) s.end('last words'); // FIN right after the tunnel opens
      });
      s.on('error', reject);
      s.on('close', () => resolve(text));
      s.write(`CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\n`);
    });
    expect(statusOf(out)).toBe(200);
    expect(bodyOf(out)).toBe('last words');
    const openAtEcho = () => new Promise<number>((resolve) => echo.getConnections((_e, n) => resolve(n)));
    for (let i = 0; i < 200 && (await openAtEcho()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await openAtEcho()).toBe(0);
  });

  it('closes an idle tunnel', async () => {
    const { path } = await start({ timeouts: { idleMs: 200 } });
    const started = Date.now();
    const out = await exchange(path, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\n`);
    expect(statusOf(out)).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

describe('plain http', () => {
  it('forwards an absolute URI without hop-by-hop headers or proxy credentials', async () => {
    const { path, asked } = await start();
    const answer = await viaProxy(path, {
      method: 'POST',
      path: `http://allowed.test:${webPort}/path?q=1`,
      headers: {
        Host: 'wrong.example',
        'Proxy-Authorization': 'Basic c2VjcmV0',
        'Proxy-Connection': 'keep-alive',
        Connection: 'Upgrade, X-Drop-Me',
        Upgrade: 'h2c',
        'X-Drop-Me': '1',
        'X-Keep': '2',
      },
      body: 'hello',
    });
    expect(answer).toMatchObject({ status: 200, body: 'hello from loopback POST /path?q=1' });
    expect(answer.headers).toMatchObject({ 'x-upstream': 'yes' });
    expect(answer.headers['keep-alive']).not.toBe('timeout=99'); // the upstream hop's, not forwarded
    expect(seen).toHaveLength(1);
    const up = seen[0];
    expect(up).toMatchObject({ method: 'POST', url: '/path?q=1', body: 'hello' });
    expect(up?.headers).toMatchObject({ host: `allowed.test:${webPort}`, 'x-keep': '2' });
    expect(up?.headers).not.toHaveProperty('proxy-authorization');
    expect(up?.headers).not.toHaveProperty('proxy-connection');
    expect(up?.headers).not.toHaveProperty('x-drop-me');
    expect(up?.headers).not.toHaveProperty('upgrade');
    expect(asked).toEqual([{ host: 'allowed.test', port: webPort, scheme: 'http' }]);
  });

  it('answers a blocked name with a readable 403 body', async () => {
    const { path } = await start();
    const answer = await viaProxy(path, { method: 'GET', path: `http://other.test:${webPort}/`, headers: {} });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(
      /^Sylk's network proxy blocked other\.test: .*security\.network\.allowed_domains[^\n]*\n$/,
    );
    expect(seen).toEqual([]);
  });
});

function viaProxy(
  socketPath: string,
  req: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      { socketPath, method: req.method, path: req.path, headers: req.headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

describe('hostile input', () => {
  it.each([
    ['garbage bytes', '\u0000\u0001\u0002 garbage \r\n\r\n', 400, 'malformed request'],
    ['a relative request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'not a proxy request'],
    ['an https absolute URI', 'GET https://allowed.test/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'CONNECT'],
    ['host:port without CONNECT', 'GET allowed.test:443 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'send CONNECT host:port'],
    ['CONNECT without a port', 'CONNECT allowed.test HTTP/1.1\r\n\r\n', 400, 'host:port'],
    ['an unknown method', 'BREW http://allowed.test/ HTTP/1.1\r\n\r\n', 400, 'malformed'],
    ['huge headers', `GET http://allowed.test/ HTTP/1.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431, 'too large'],
  ])('answers %s with a clear error and keeps serving', async (_what, data, status, text) => {
    const { path, proxy } = await start();
    const out = await exchange(path, data);
    expect(statusOf(out)).toBe(status);
    expect(bodyOf(out)).toContain(text);
    expect(proxy.counters().malformed).toBe(1);
    const ok = await exchange(path, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\nstill here`, (t) =>
      t.includes('still here'),
    );
    expect(statusOf(ok)).toBe(200);
  });

  it('times out a request head that never ends (slowloris) and a silent connection', async () => {
    const { path } = await start({ timeouts: { headersMs: 300 } });
    const started = Date.now();
    const half = await exchange(path, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\nX-Slow: 1\r\n`);
    expect(statusOf(half)).toBe(408);
    const silent = await exchange(path, '');
    expect(silent === '' || statusOf(silent) === 408).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(echoConnections).toBe(0);
  });

  it('survives many abrupt disconnects mid-request', async () => {
    const { path } = await start();
    await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const s = net.connect(path, () => {
              s.write(
                i % 2 === 0 ? `CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\n` : 'GET http://allowed.test/ HT',
              );
              s.destroy();
              resolve();
            });
            s.on('error', () => resolve());
          }),
      ),
    );
    const ok = await exchange(path, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\nalive`, (t) =>
      t.includes('alive'),
    );
    expect(statusOf(ok)).toBe(200);
  });
});

describe('socket', () => {
  it('is 0600 in a 0700 directory, replaces a stale socket and is removed on close', async () => {
    const { proxy, path } = await start();
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
    expect(proxy.endpoint).toBe(path);
    await proxy.close();
    expect(() => lstatSync(path)).toThrow();
    expect(proxy.endpoint).toBeUndefined();
  });

  it('refuses a path longer than a Unix socket allows', async () => {
    const proxy = new NetworkProxy({ authorize: async () => ({ allow: true }) });
    await expect(proxy.listen(join(dir, 'x'.repeat(120), 'p.sock'))).rejects.toMatchObject({
      code: 'proxy.socket_path_too_long',
    });
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
