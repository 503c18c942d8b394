/**
 * `security.network.allowed_domains` entries: exact host names, or `*.example.com` for its subdomains.
 * @internal exported for tests
 */
export function domainMatches(host: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

export function domainAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => domainMatches(host, p));
}
