import { describe, expect, it } from 'vitest';
import { seatbeltProfile } from './seatbelt.js';

describe('seatbeltProfile', () => {
  const profile = seatbeltProfile({
    homeDir: '/Users/u',
    writableRoots: ['/Users/u/proj'],
    readOnlyPaths: ['/Users/u/.cargo'],
    writablePaths: ['/Users/u/.npm'],
    secrets: ['/Users/u/.ssh', '/Users/u/Library/Keychains'],
    proxyPort: 3128,
  });

  it('denies by default and allows exec and fork', () => {
    expect(profile.startsWith('(version 1)\n(deny default)\n')).toBe(true);
    expect(profile).toContain('(allow process-exec)');
    expect(profile).toContain('(allow process-fork)');
  });

  it('makes system paths readable, the project and writable paths writable, protected paths not', () => {
    expect(profile).toContain('(subpath "/usr")');
    expect(profile).toContain('(allow file-write* (subpath "/Users/u/proj") (subpath "/Users/u/.npm"))');
    expect(profile).toContain('(allow file-read* (subpath "/Users/u/.cargo")');
    const deny = profile.split('\n').find((l) => l.startsWith('(deny file-write*'));
    expect(deny).toContain('(subpath "/Users/u/proj/.git")');
    expect(deny).toContain('(subpath "/Users/u/proj/.sylk")');
    expect(deny).toContain('(subpath "/Users/u/.npm/.bashrc")');
    // Later rules win in SBPL: the denials come after the allows.
    expect(profile.indexOf('(deny file-write*')).toBeGreaterThan(
      profile.indexOf('(allow file-write* (subpath "/Users/u/proj")'),
    );
  });

  it('never lets secrets be read and allows only the proxy port on the network', () => {
    expect(profile).toContain(
      '(deny file-read* file-write* (subpath "/Users/u/.ssh") (subpath "/Users/u/Library/Keychains"))',
    );
    expect(profile).toContain('(allow network-outbound (remote tcp "localhost:3128"))');
    expect(profile).not.toMatch(/\(allow network\*/);
    expect(
      seatbeltProfile({ homeDir: '/h', writableRoots: ['/p'], readOnlyPaths: [], writablePaths: [], secrets: [] }),
    ).not.toContain('network-outbound');
  });

  it('quotes paths', () => {
    expect(
      seatbeltProfile({
        homeDir: '/h',
        writableRoots: ['/p/a "b"'],
        readOnlyPaths: [],
        writablePaths: [],
        secrets: [],
      }),
    ).toContain('(subpath "/p/a \\"b\\"")');
  });
});
