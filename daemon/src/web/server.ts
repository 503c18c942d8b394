/**
 * The dashboard's HTTP server: fastify on 127.0.0.1 and a random port. Every request passes the
 * guard (guard.ts) before any route; pages and their one script are static files (assets/), the
 * data comes from the JSON and event-stream routes (api.ts, streams.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { checkRequest, cookieName } from './guard.js';
import { registerApi, sendError } from './api.js';
import { Streams, SECURITY_HEADERS } from './streams.js';
import type { WebDeps } from './web.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/exposition.js';

export interface RunningWeb {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** The assets beside this file (src/web/assets), or from dist/web the source tree's copy (the package ships it). */
function assetsDir(): string {
  const here = fileURLToPath(new URL('./assets/', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../src/web/assets/', import.meta.url));
}

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const PAGES = { sessions: 'index.html', session: 'session.html' } as const;

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function queryToken(req: FastifyRequest): string | undefined {
  const value = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof value === 'string' ? value : undefined;
}

/** The request's path without `token` in its query (where a first visit is sent once its cookie is set). */
function withoutToken(url: string): string {
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.delete('token');
  const query = parsed.searchParams.toString();
  return `${parsed.pathname}${query ? `?${query}` : ''}`;
}

export async function startWebServer(deps: WebDeps & { token: string }): Promise<RunningWeb> {
  const dir = assetsDir();
  const files = new Map<string, Buffer>();
  const file = (name: string) => {
    let body = files.get(name);
    if (body === undefined) {
      body = readFileSync(`${dir}${name}`);
      files.set(name, body);
    }
    return body;
  };
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true });
  const streams = new Streams(deps);
  let port = 0;

  app.addHook('onRequest', async (req, reply) => {
    const verdict = checkRequest(
      {
        host: header(req, 'host'),
        origin: header(req, 'origin'),
        fetchSite: header(req, 'sec-fetch-site'),
        cookie: header(req, 'cookie'),
        authorization: header(req, 'authorization'),
        queryToken: req.method === 'GET' ? queryToken(req) : undefined,
      },
      { port, token: deps.token },
    );
    if (!verdict.ok) return reply.code(verdict.status).type('text/plain; charset=utf-8').send(verdict.reason);
    if (verdict.via === 'query') {
      // The token leaves the address at once: a cookie the page's script cannot read carries it from now on.
      return reply
        .code(303)
        .header('set-cookie', `${cookieName(port)}=${deps.token}; HttpOnly; SameSite=Strict; Path=/`)
        .header('location', withoutToken(req.url))
        .send();
    }
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.setErrorHandler((err, _req, reply) => sendError(reply, err, deps));
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('not found'));

  const page = (name: string) => (_req: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').send(file(name));
  app.get('/', page(PAGES.sessions));
  app.get('/sessions/:id', page(PAGES.session));
  app.get<{ Params: { file: string } }>('/assets/:file', (req, reply) => {
    const type = ASSETS[req.params.file];
    if (type === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return reply.type(type).send(file(req.params.file));
  });
  app.get('/metrics', (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(deps.prometheus()));
  registerApi(app, deps);
  streams.register(app);

  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${deps.token}`,
    port,
    token: deps.token,
    close: async () => {
      streams.close();
      await app.close();
    },
  };
}
