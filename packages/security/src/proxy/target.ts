/** Where a proxy request wants to go: `CONNECT host:port` or an absolute `http://` URI. */
import { isIP } from 'node:net';

export interface ProxyTarget {
  /** Lower-case host name without a trailing dot, or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
}

export type TargetParse = { ok: true; target: ProxyTarget; path: string } | { ok: false; message: string };

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A DNS name or an IP literal, normalized; undefined when it is neither.
 * @internal exported for tests
 */
export function normalizeHost(raw: string): string | undefined {
  let host = raw.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (isIP(host) !== 0) return host;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253) return undefined;
  return host.split('.').every((label) => LABEL.test(label)) ? host : undefined;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `example.com:443`, `[2001:db8::1]:443`; the port is required. */
export function parseAuthority(authority: string): TargetParse {
  const bad = { ok: false as const, message: `CONNECT needs host:port, got "${printable(authority)}"` };
  const match = /^(\[[^\]]+\]|[^:[\]]+):([^:]+)$/.exec(authority);
  if (match === null) return bad;
  const host = normalizeHost(match[1] ?? '');
  const port = parsePort(match[2] ?? '');
  if (host === undefined || port === undefined) return bad;
  return { ok: true, target: { host, port }, path: '' };
}

/** An absolute `http://host[:port]/path?query` request URI (what a client sends to a proxy). */
export function parseAbsoluteUri(uri: string): TargetParse {
  if (/^https:\/\//i.test(uri)) {
    return {
      ok: false,
      message: 'https:// URIs go through CONNECT: set HTTPS_PROXY, not a plain request to the proxy',
    };
  }
  if (!/^http:\/\//i.test(uri)) {
    return {
      ok: false,
      message: `"${printable(uri)}" is not a proxy request: send CONNECT host:port or an absolute http:// URI (HTTP_PROXY/HTTPS_PROXY)`,
    };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, message: `cannot parse the request URI "${printable(uri)}"` };
  }
  if (url.username !== '' || url.password !== '')
    return { ok: false, message: 'credentials in the request URI are not forwarded: remove user:password@' };
  const host = normalizeHost(url.hostname);
  const port = url.port === '' ? 80 : parsePort(url.port);
  if (host === undefined || port === undefined)
    return { ok: false, message: `invalid host or port in "${printable(uri)}"` };
  return { ok: true, target: { host, port }, path: `${url.pathname}${url.search}` };
}

/** For messages: at most 100 characters, control characters shown as `?`. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

/** `host:port`, with brackets for IPv6. */
export function formatTarget(target: ProxyTarget): string {
  return isIP(target.host) === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}
