/**
 * The dashboard's server-sent event streams. A session's transcript is read with `readLog` from
 * the same event log `sylk attach` and `sylk logs` read: replayed from where the page asks
 * (EventSource's Last-Event-ID on a reconnect), then live. The sessions list is told when any
 * log commits (throttled) and fetches the list again.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { readLog, type SessionEvent } from '@sylk/sessions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { boundedArg } from '../services/args.js';
import type { WebDeps } from './web.js';

/** On every response, the event streams' too (they bypass fastify's reply). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A comment line now and then: a proxy or the browser keeps the stream open, a dead peer is noticed. */
const KEEPALIVE_MS = 15_000;
/** The sessions list is told at most this often. */
const CHANGE_THROTTLE_MS = 250;

/** One event as the page receives it: `data` is the persisted JSON text, forwarded as is. */
function eventMessage(e: SessionEvent): string {
  let data = e.json ?? JSON.stringify(e.data);
  // A line break would end the SSE field; JSON.stringify never writes one, re-encode to be sure.
  if (data.includes('\n') || data.includes('\r')) data = JSON.stringify(e.data);
  return `id: ${e.seq}\ndata: {"seq":${e.seq},"ts":${e.ts},"kind":${JSON.stringify(e.kind)},"data":${data}}\n\n`;
}

function lastEventId(req: FastifyRequest<{ Querystring: { from?: string } }>): number {
  const header = req.headers['last-event-id'];
  const last = Number(Array.isArray(header) ? header[0] : header);
  if (Number.isInteger(last) && last >= 0) return last + 1;
  const from = Number(req.query.from);
  return Number.isInteger(from) && from >= 1 ? from : 1;
}

export class Streams {
  /** Open streams, ended when the server stops (fastify's close would wait for them). */
  private readonly open = new Set<AbortController>();

  constructor(private readonly deps: WebDeps) {}

  register(app: FastifyInstance): void {
    app.get('/api/sessions/stream', (req, reply) => this.sessionsStream(req, reply));
    app.get<{ Params: { id: string }; Querystring: { from?: string } }>('/api/sessions/:id/events', (req, reply) =>
      this.eventsStream(req, reply),
    );
  }

  close(): void {
    for (const c of this.open) c.abort();
    this.open.clear();
  }

  /** Takes the response over from fastify and starts the stream; the signal aborts when either side ends. */
  private begin(req: FastifyRequest, reply: FastifyReply): { res: ServerResponse; signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    this.open.add(controller);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    res.write(': sylk\n\n');
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    const end = () => {
      clearInterval(keepalive);
      this.open.delete(controller);
      controller.abort();
      if (!res.writableEnded) res.end();
    };
    req.raw.once('close', end);
    res.once('close', end);
    const signal = AbortSignal.any([controller.signal, this.deps.sessions.shutdown.signal]);
    signal.addEventListener('abort', end, { once: true });
    return { res, signal, end };
  }

  private sessionsStream(req: FastifyRequest, reply: FastifyReply): void {
    const { res, signal } = this.begin(req, reply);
    let pending: NodeJS.Timeout | undefined;
    const unsubscribe = this.deps.sessions.logs.onCommit(() => {
      pending ??= setTimeout(() => {
        pending = undefined;
        if (!res.writableEnded) res.write('event: changed\ndata: {}\n\n');
      }, CHANGE_THROTTLE_MS);
    });
    signal.addEventListener(
      'abort',
      () => {
        unsubscribe();
        clearTimeout(pending);
      },
      { once: true },
    );
  }

  private async eventsStream(
    req: FastifyRequest<{ Params: { id: string }; Querystring: { from?: string } }>,
    reply: FastifyReply,
  ): Promise<void> {
    const host = this.deps.sessions;
    // Before the stream starts: an unknown session is a plain 404.
    const rt = await host.runtime(boundedArg(req.params.id, 'session id or name'));
    const { res, signal, end } = this.begin(req, reply);
    // A page showing a session is an attached client: it counts in `sylk ls`, and the session stays loaded.
    rt.attach();
    try {
      for await (const event of readLog(rt.log, lastEventId(req), { follow: true, signal })) {
        if (!res.write(eventMessage(event))) await once(res, 'drain', { signal });
      }
    } catch (err) {
      if (!signal.aborted) this.deps.logger.warn({ err, session: rt.id }, 'web event stream ended');
    } finally {
      rt.detach();
      end();
    }
  }
}
