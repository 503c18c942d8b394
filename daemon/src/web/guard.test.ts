import { describe, expect, it } from 'vitest';
import {
  checkRequest,
  cookieName,
  cookieValue,
  hostAllowed,
  originAllowed,
  tokenMatches,
  type GuardedRequest,
} from './guard.js';

const server = { port: 41234, token: 'tok_0123456789abcdefghijklmnopqrstuvwxyz' };
const base: GuardedRequest = {
  host: '127.0.0.1:41234',
  origin: undefined,
  fetchSite: undefined,
  cookie: undefined,
  authorization: undefined,
  queryToken: undefined,
};
const withCookie = (extra: Partial<GuardedRequest> = {}): GuardedRequest => ({
  ...base,
  cookie: `other=1; ${cookieName(server.port)}=${server.token}`,
  ...extra,
});

describe('Host check (DNS rebinding)', () => {
  it('takes the loopback address and localhost with this port only', () => {
    expect(hostAllowed('127.0.0.1:41234', 41234)).toBe(true);
    expect(hostAllowed('localhost:41234', 41234)).toBe(true);
    for (const host of [
      undefined,
      '',
      '127.0.0.1',
      'localhost',
      '127.0.0.1:41235',
      'evil.example:41234',
      'localhost.evil.example:41234',
      '127.0.0.1.nip.io:41234',
      '[::1]:41234',
      '0.0.0.0:41234',
      'LOCALHOST:41234x',
    ])
      expect(hostAllowed(host, 41234), String(host)).toBe(false);
  });

  it('refuses a rebound name even with the right token', () => {
    expect(checkRequest(withCookie({ host: 'attacker.example:41234' }), server)).toMatchObject({
      ok: false,
      status: 403,
    });
  });
});

describe('Origin check', () => {
  it('takes no Origin or exactly the same origin', () => {
    expect(originAllowed(undefined, '127.0.0.1:41234')).toBe(true);
    expect(originAllowed('http://127.0.0.1:41234', '127.0.0.1:41234')).toBe(true);
    expect(originAllowed('http://localhost:41234', 'localhost:41234')).toBe(true);
    for (const origin of [
      'null',
      'http://evil.example',
      'http://localhost:41234',
      'https://127.0.0.1:41234',
      'http://127.0.0.1:41235',
      'http://127.0.0.1:41234/',
    ])
      expect(originAllowed(origin, '127.0.0.1:41234'), origin).toBe(false);
  });

  it('refuses a cross-origin request and a cross-site fetch even with the token', () => {
    expect(checkRequest(withCookie({ origin: 'http://evil.example' }), server)).toMatchObject({ status: 403 });
    expect(checkRequest(withCookie({ fetchSite: 'cross-site' }), server)).toMatchObject({ status: 403 });
    expect(checkRequest(withCookie({ origin: 'http://127.0.0.1:41234', fetchSite: 'same-origin' }), server)).toEqual({
      ok: true,
      via: 'cookie',
    });
  });
});

describe('token', () => {
  it('compares whole tokens only', () => {
    expect(tokenMatches(server.token, server.token)).toBe(true);
    for (const given of [undefined, '', server.token.slice(0, -1), `${server.token}x`, server.token.toUpperCase()])
      expect(tokenMatches(given, server.token), String(given)).toBe(false);
  });

  it('comes from the port’s cookie, a bearer header or the address', () => {
    expect(checkRequest(withCookie(), server)).toEqual({ ok: true, via: 'cookie' });
    expect(checkRequest({ ...base, authorization: `Bearer ${server.token}` }, server)).toEqual({
      ok: true,
      via: 'bearer',
    });
    expect(checkRequest({ ...base, queryToken: server.token }, server)).toEqual({ ok: true, via: 'query' });
  });

  it('is 401 when missing or wrong, including another port’s cookie', () => {
    expect(checkRequest(base, server)).toMatchObject({ ok: false, status: 401 });
    expect(checkRequest({ ...base, cookie: `${cookieName(server.port)}=nope` }, server)).toMatchObject({ status: 401 });
    expect(checkRequest({ ...base, cookie: `${cookieName(9999)}=${server.token}` }, server)).toMatchObject({
      status: 401,
    });
    expect(checkRequest({ ...base, authorization: `Basic ${server.token}` }, server)).toMatchObject({ status: 401 });
    expect(checkRequest({ ...base, queryToken: 'guess' }, server)).toMatchObject({ status: 401 });
  });

  it('reads one cookie out of a header', () => {
    expect(cookieValue('a=1; b = 2 ;c=3', 'b')).toBe('2');
    expect(cookieValue('ab=1', 'a')).toBeUndefined();
    expect(cookieValue(undefined, 'a')).toBeUndefined();
  });
});
