import { describe, expect, it } from 'vitest';
import { addressProblem } from './addresses.js';
import { domainMatches } from './domains.js';
import { normalizeHost, parseAbsoluteUri, parseAuthority } from './target.js';

describe('addressProblem', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['100.64.0.1', 'carrier-grade'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2002:7f00:1::', '6to4'],
    ['not-an-ip', 'not an IP'],
  ])('%s is refused (%s)', (address, what) => {
    expect(addressProblem(address)).toContain(what);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '172.15.255.255',
    '192.169.0.1',
    '100.128.0.1',
    '2606:4700::6810:84e5',
    '::ffff:8.8.8.8',
    '2001:db9::1',
  ])('%s is public', (address) => {
    expect(addressProblem(address)).toBeUndefined();
  });
});

describe('targets', () => {
  it('parses CONNECT authorities', () => {
    expect(parseAuthority('Example.COM.:443')).toEqual({
      ok: true,
      target: { host: 'example.com', port: 443 },
      path: '',
    });
    expect(parseAuthority('[::1]:8443')).toMatchObject({ ok: true, target: { host: '::1', port: 8443 } });
    for (const bad of [
      'example.com',
      'example.com:0',
      'example.com:65536',
      'exa mple.com:443',
      ':443',
      'a..b:443',
      '[::1:443',
      'x:1:2',
      `${'a'.repeat(64)}.com:443`,
      'http://x:80',
    ]) {
      expect(parseAuthority(bad).ok, bad).toBe(false);
    }
  });

  it('parses absolute http URIs and points https at CONNECT', () => {
    expect(parseAbsoluteUri('http://Allowed.test:8080/a/b?c=1')).toEqual({
      ok: true,
      target: { host: 'allowed.test', port: 8080 },
      path: '/a/b?c=1',
    });
    expect(parseAbsoluteUri('http://example.com')).toMatchObject({ ok: true, target: { port: 80 }, path: '/' });
    expect(parseAbsoluteUri('https://example.com/')).toMatchObject({
      ok: false,
      message: expect.stringContaining('CONNECT'),
    });
    expect(parseAbsoluteUri('/index.html')).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a proxy request'),
    });
    expect(parseAbsoluteUri('http://user:pw@example.com/')).toMatchObject({
      ok: false,
      message: expect.stringContaining('credentials'),
    });
    expect(parseAbsoluteUri('ftp://example.com/')).toMatchObject({ ok: false });
  });

  it('normalizes host names and refuses junk', () => {
    expect(normalizeHost('[2001:DB8::1]')).toBe('2001:db8::1');
    expect(normalizeHost('under_score.example')).toBe('under_score.example');
    expect(normalizeHost('-bad.example')).toBeUndefined();
    expect(normalizeHost('a\u0000b')).toBeUndefined();
  });
});

describe('allowed_domains patterns', () => {
  it('matches exact names and *.suffix subdomains', () => {
    expect(domainMatches('api.example.com', 'api.example.com')).toBe(true);
    expect(domainMatches('API.example.com.', 'api.example.com')).toBe(true);
    expect(domainMatches('x.api.example.com', 'api.example.com')).toBe(false);
    expect(domainMatches('a.example.com', '*.example.com')).toBe(true);
    expect(domainMatches('a.b.example.com', '*.example.com')).toBe(true);
    expect(domainMatches('example.com', '*.example.com')).toBe(false);
    expect(domainMatches('badexample.com', '*.example.com')).toBe(false);
  });
});
