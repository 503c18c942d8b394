/**
 * The network allowlist proxy: an HTTP forward proxy on a Unix socket that sandboxed
 * commands reach through HTTP_PROXY/HTTPS_PROXY. CONNECT host:port becomes a TCP tunnel and an
 * absolute `http://` request is forwarded, each only after `authorize` said yes and the address
 * passed the checks in admission.ts. Hostile input gets a 4xx and a closed socket, never a throw.
 */
import { chmod } from 'node:fs/promises';
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { silentLogger, errorMessage, type Logger } from '@sylk/core';
import { admit, systemResolver, type Admission, type AdmissionPolicy } from './admission.js';
import { prepareSocketPath, removeSocket } from './socket.js';
import { formatTarget, parseAbsoluteUri, parseAuthority, type ProxyTarget } from './target.js';
import type { NetworkProxyOptions, ProxyCounters, ProxyOutcome, ProxyTimeouts } from './types.js';

const DEFAULT_TIMEOUTS: ProxyTimeouts = { headersMs: 10_000, connectMs: 10_000, idleMs: 300_000 };
/** Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own credentials are never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** After a final error reply, how long the peer gets to read it before the socket is destroyed. */
const LINGER_MS = 2_000;

/** Raw header pairs (`rawHeaders` form) minus hop-by-hop ones, whatever `Connection` names, and `drop`. */
function endToEndHeaders(raw: readonly string[], drop: readonly string[] = []): string[] {
  const named = new Set<string>(drop);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection')
      for (const n of (raw[i + 1] ?? '').split(',')) named.add(n.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out.push(raw[i] ?? '', raw[i + 1] ?? '');
  }
  return out;
}

function errorHead(status: number, body: string, kind: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Sylk-Proxy: ${kind}\r\n\r\n${body}`
  );
}

export class NetworkProxy {
  readonly #server: http.Server;
  readonly #policy: AdmissionPolicy;
  readonly #timeouts: ProxyTimeouts;
  readonly #logger: Logger;
  readonly #onOutcome: (o: ProxyOutcome) => void;
  readonly #sockets = new Set<Duplex>();
  readonly #pending = new Set<AbortController>();
  readonly #counters: ProxyCounters = { allowed: 0, blocked: 0, asked: 0, malformed: 0, failed: 0 };
  #endpoint: string | undefined;

  constructor(opts: NetworkProxyOptions) {
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.#logger = opts.logger ?? silentLogger();
    this.#onOutcome = opts.onOutcome ?? (() => undefined);
    this.#policy = {
      authorize: opts.authorize,
      overrides: opts.hostOverrides ?? (() => ({})),
      allowedPorts: new Set(opts.allowedPorts ?? [80, 443]),
      resolve: opts.resolve ?? systemResolver,
      connectMs: this.#timeouts.connectMs,
    };
    const headersMs = this.#timeouts.headersMs;
    this.#server = http.createServer({
      maxHeaderSize: opts.maxHeaderBytes ?? 16 * 1024,
      headersTimeout: headersMs,
      // A request body may wait for an approval; the idle timeout covers slow bodies instead.
      requestTimeout: 0,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersMs / 4))),
    });
    this.#server.maxConnections = opts.maxConnections ?? 256;
    this.#server.on('connection', (socket: net.Socket) => this.#track(socket));
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#clientError(err, socket));
    this.#server.on(
      'connect',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#tunnel(req, socket, head),
    );
    // No 'upgrade' listener: such requests arrive as plain ones and lose Upgrade (hop-by-hop).
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#forward(req, res));
  }

  /** Listen on a Unix socket (0600, in a 0700 directory). */
  async listen(socketPath: string): Promise<void> {
    await prepareSocketPath(socketPath);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(socketPath, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    await chmod(socketPath, 0o600);
    this.#endpoint = socketPath;
  }

  /** The socket path while listening. */
  get endpoint(): string | undefined {
    return this.#endpoint;
  }

  counters(): ProxyCounters {
    return { ...this.#counters };
  }

  /** Stop listening, cut every connection and pending decision, remove the socket file. */
  async close(): Promise<void> {
    const endpoint = this.#endpoint;
    this.#endpoint = undefined;
    for (const c of this.#pending) c.abort(new Error('the proxy is closing'));
    for (const s of this.#sockets) s.destroy();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (endpoint !== undefined) await removeSocket(endpoint);
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.on('error', (err) => this.#logger.debug({ err: errorMessage(err) }, 'proxy client socket error'));
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #reply(socket: Duplex, status: number, message: string, kind: string): void {
    if (socket.destroyed) return;
    if (socket.writable) socket.end(errorHead(status, `${message}\n`, kind));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  #clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    this.#counters.malformed++;
    const [status, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, "request head too large for Sylk's network proxy"]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request head did not arrive in time']
          : [400, "malformed request: this is Sylk's network proxy; send CONNECT host:port or an absolute http:// URI"];
    this.#logger.debug({ code: err.code, status }, 'proxy rejected a malformed request');
    this.#reply(socket, status, message, 'malformed');
  }

  /** Decide one request: counts, logs and reports it; aborts when the client goes away. */
  async #decide(target: ProxyTarget, scheme: 'http' | 'https', client: Duplex): Promise<Admission> {
    const controller = new AbortController();
    // http.Server sockets allow half-open: a client that hung up may only have sent its FIN.
    const onGone = () => controller.abort(new Error('the client went away'));
    client.once('close', onGone).once('end', onGone);
    this.#pending.add(controller);
    let admission: Admission;
    try {
      admission = await admit(this.#policy, target, scheme, controller.signal);
    } finally {
      this.#pending.delete(controller);
      client.off('close', onGone).off('end', onGone);
    }
    if (admission.asked) this.#counters.asked++;
    if (admission.ok) this.#counters.allowed++;
    else if (admission.outcome === 'blocked') this.#counters.blocked++;
    else this.#counters.failed++;
    if (!admission.ok)
      this.#report(target, scheme, admission.outcome, admission.asked, admission.reason, admission.address);
    return admission;
  }

  #report(
    target: ProxyTarget,
    scheme: 'http' | 'https',
    outcome: ProxyOutcome['outcome'],
    asked: boolean,
    reason?: string,
    address?: string,
  ): void {
    const o: ProxyOutcome = {
      host: target.host,
      port: target.port,
      scheme,
      outcome,
      asked,
      ...(reason ? { reason } : {}),
      ...(address ? { address } : {}),
    };
    this.#logger[outcome === 'allowed' ? 'debug' : 'info'](
      { target: formatTarget(target), scheme, outcome, reason, address },
      `proxy ${outcome}`,
    );
    try {
      this.#onOutcome(o);
    } catch (err) {
      this.#logger.warn({ err: errorMessage(err) }, 'proxy outcome observer failed');
    }
  }

  #upstreamFailed(
    target: ProxyTarget,
    scheme: 'http' | 'https',
    asked: boolean,
    address: string,
    err: unknown,
  ): string {
    this.#counters.failed++;
    const reason = `cannot reach ${formatTarget(target)} (${address}): ${errorMessage(err)}`;
    this.#report(target, scheme, 'failed', asked, reason, address);
    return `Sylk's network proxy ${reason}`;
  }

  async #tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const parsed = parseAuthority(req.url ?? '');
    if (!parsed.ok) {
      this.#counters.malformed++;
      this.#reply(client, 400, parsed.message, 'malformed');
      return;
    }
    const { target } = parsed;
    const admission = await this.#decide(target, 'https', client);
    if (client.destroyed) return;
    if (!admission.ok) {
      this.#reply(client, admission.status, admission.message, admission.outcome);
      return;
    }
    const upstream = net.connect({ host: admission.address, port: target.port });
    this.#track(upstream);
    let connected = false;
    const connectTimer = setTimeout(
      () => upstream.destroy(new Error(`no connection within ${this.#timeouts.connectMs} ms`)),
      this.#timeouts.connectMs,
    );
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    upstream.once('error', (err) => {
      clearTimeout(connectTimer);
      if (!connected)
        this.#reply(
          client,
          502,
          this.#upstreamFailed(target, 'https', admission.asked, admission.address, err),
          'failed',
        );
      else client.destroy();
    });
    upstream.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      this.#report(target, 'https', 'allowed', admission.asked, undefined, admission.address);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      for (const s of [client, upstream]) {
        if (!(s instanceof net.Socket)) continue;
        s.setTimeout(this.#timeouts.idleMs, () => {
          client.destroy();
          upstream.destroy();
        });
      }
      upstream.pipe(client);
      client.pipe(upstream);
    });
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fail = (status: number, message: string, kind: string) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = `${message}\n`;
      res.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
        'x-sylk-proxy': kind,
      });
      res.end(body);
    };
    const parsed = parseAbsoluteUri(req.url ?? '');
    if (!parsed.ok) {
      // (A host:port target with another method than CONNECT never gets here: the parser refuses it.)
      this.#counters.malformed++;
      fail(400, parsed.message, 'malformed');
      return;
    }
    const { target, path } = parsed;
    req.pause();
    const admission = await this.#decide(target, 'http', req.socket);
    if (req.socket.destroyed) return;
    if (!admission.ok) {
      fail(admission.status, admission.message, admission.outcome);
      return;
    }
    // Host comes from the URI, not from whatever the client put in its header.
    const headers = endToEndHeaders(req.rawHeaders, ['host']);
    const hostHeader = target.port === 80 ? formatTarget(target).replace(/:80$/, '') : formatTarget(target);
    const upstream = http.request({
      host: admission.address,
      port: target.port,
      method: req.method,
      path,
      headers: ['Host', hostHeader, ...headers],
      setHost: false,
      agent: false,
      timeout: this.#timeouts.idleMs,
    });
    const connectTimer = setTimeout(
      () => upstream.destroy(new Error(`no connection within ${this.#timeouts.connectMs} ms`)),
      this.#timeouts.connectMs,
    );
    upstream.once('socket', (s: net.Socket) => s.once('connect', () => clearTimeout(connectTimer)));
    upstream.on('timeout', () => upstream.destroy(new Error(`no traffic for ${this.#timeouts.idleMs} ms`)));
    upstream.once('error', (err) => {
      clearTimeout(connectTimer);
      fail(502, this.#upstreamFailed(target, 'http', admission.asked, admission.address, err), 'failed');
    });
    upstream.once('response', (answer) => {
      this.#report(target, 'http', 'allowed', admission.asked, undefined, admission.address);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEndHeaders(answer.rawHeaders));
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
    req.resume();
  }
}
