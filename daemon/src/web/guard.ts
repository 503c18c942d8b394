/**
 * Who may talk to the dashboard: every request, whatever its route, passes `checkRequest`.
 * The server listens on 127.0.0.1 only, but any web page the user opens can make the browser
 * send requests to it: a Host check refuses DNS-rebound names, an Origin check refuses other
 * sites' requests, and the per-start token (a cookie after the first visit) refuses the rest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface GuardedRequest {
  host: string | undefined;
  origin: string | undefined;
  /** `Sec-Fetch-Site`, sent by current browsers. */
  fetchSite: string | undefined;
  cookie: string | undefined;
  authorization: string | undefined;
  /** `?token=` of the address (the URL `sylk web` prints). */
  queryToken: string | undefined;
}

export type Verdict =
  { ok: true; via: 'cookie' | 'bearer' | 'query' } | { ok: false; status: 401 | 403; reason: string };

/** The cookie carrying the token: named by port, since browsers share cookies between ports of one host. */
export function cookieName(port: number): string {
  return `sylk_token_${port}`;
}

/**
 * The Host header a browser sends for this server: the loopback address or `localhost`, with the port.
 * @internal exported for tests
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/**
 * No Origin (a same-origin GET, a non-browser client) or exactly this server's own origin.
 * @internal exported for tests
 */
export function originAllowed(origin: string | undefined, host: string): boolean {
  return origin === undefined || origin === `http://${host}`;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Constant-time comparison (hashed first, so lengths do not leak either).
 * @internal exported for tests
 */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined || given === '') return false;
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * One cookie's value from a Cookie header (`a=1; b=2`).
 * @internal exported for tests
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/** The verdict on one request to the server on `port` whose token is `token`. */
export function checkRequest(req: GuardedRequest, server: { port: number; token: string }): Verdict {
  if (!hostAllowed(req.host, server.port))
    return { ok: false, status: 403, reason: 'the Host header is not this server (127.0.0.1 or localhost)' };
  if (!originAllowed(req.origin, req.host as string))
    return { ok: false, status: 403, reason: 'requests from another origin are refused' };
  if (req.fetchSite === 'cross-site')
    return { ok: false, status: 403, reason: 'requests from another site are refused' };
  if (tokenMatches(cookieValue(req.cookie, cookieName(server.port)), server.token)) return { ok: true, via: 'cookie' };
  if (tokenMatches(bearer(req.authorization), server.token)) return { ok: true, via: 'bearer' };
  if (tokenMatches(req.queryToken, server.token)) return { ok: true, via: 'query' };
  return {
    ok: false,
    status: 401,
    reason: 'a valid token is required: open the address `sylk web` prints',
  };
}
