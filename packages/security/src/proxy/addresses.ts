/**
 * Which IP addresses the proxy refuses to reach: anything that is not the public internet
 * (loopback, private ranges, link-local with the cloud metadata service, unspecified,
 * multicast, reserved). Classified on the address bytes, so every spelling of an address
 * (`::ffff:7f00:1`, `::ffff:127.0.0.1`) lands in the same range.
 */
import { isIP } from 'node:net';

interface Range {
  bytes: readonly number[];
  bits: number;
  what: string;
}

const V4: readonly Range[] = [
  { bytes: [0, 0, 0, 0], bits: 8, what: 'an unspecified ("this network") address' },
  { bytes: [10, 0, 0, 0], bits: 8, what: 'a private address' },
  { bytes: [100, 64, 0, 0], bits: 10, what: 'a shared (carrier-grade NAT) address' },
  { bytes: [127, 0, 0, 0], bits: 8, what: 'a loopback address' },
  { bytes: [169, 254, 0, 0], bits: 16, what: 'a link-local address (cloud metadata service)' },
  { bytes: [172, 16, 0, 0], bits: 12, what: 'a private address' },
  { bytes: [192, 0, 0, 0], bits: 24, what: 'a reserved address' },
  { bytes: [192, 168, 0, 0], bits: 16, what: 'a private address' },
  { bytes: [198, 18, 0, 0], bits: 15, what: 'a benchmarking address' },
  { bytes: [224, 0, 0, 0], bits: 4, what: 'a multicast address' },
  { bytes: [240, 0, 0, 0], bits: 4, what: 'a reserved address' },
];

const V6: readonly Range[] = [
  // Includes :: and ::1 and the deprecated IPv4-compatible form ::a.b.c.d.
  { bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], bits: 96, what: 'a loopback or unspecified address' },
  { bytes: [0x01, 0, 0, 0, 0, 0, 0, 0], bits: 64, what: 'a discard-only address' },
  { bytes: [0x20, 0x02], bits: 16, what: 'a 6to4 address (may wrap a private IPv4 address)' },
  { bytes: [0xfc], bits: 7, what: 'a unique local (private) address' },
  { bytes: [0xfe, 0x80], bits: 10, what: 'a link-local address' },
  { bytes: [0xfe, 0xc0], bits: 10, what: 'a site-local address' },
  { bytes: [0xff], bits: 8, what: 'a multicast address' },
];

function inRange(address: readonly number[], range: Range): boolean {
  for (let bit = 0; bit < range.bits; bit += 8) {
    const left = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    if (((address[bit / 8] ?? 0) & mask) !== ((range.bytes[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function v4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The 16 bytes of a valid IPv6 address (`isIP` already said 6), a trailing dotted quad included. */
function v6Bytes(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  let tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    tail = v4Bytes(dotted[1]);
    text = text.slice(0, text.length - dotted[1].length);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const [head = '', rest] = text.split('::');
  const before = groups(head);
  const after = rest === undefined ? [] : groups(rest);
  const zeros = rest === undefined ? 0 : 8 - tail.length / 2 - before.length - after.length;
  const all = [...before, ...new Array<number>(Math.max(0, zeros)).fill(0), ...after];
  return [...all.flatMap((g) => [(g >> 8) & 0xff, g & 0xff]), ...tail];
}

/**
 * Why the proxy must not connect to this address (`a loopback address`, …), or undefined for a
 * public one. Not an IP address at all is a problem too.
 */
export function addressProblem(address: string): string | undefined {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) {
    const bytes = v4Bytes(address);
    return V4.find((r) => inRange(bytes, r))?.what;
  }
  if (family !== 6) return 'not an IP address';
  const bytes = v6Bytes(address);
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are their IPv4 address.
  const mapped = inRange(bytes, { bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], bits: 96, what: '' });
  const nat64 = inRange(bytes, { bytes: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], bits: 96, what: '' });
  if (mapped || nat64) return V4.find((r) => inRange(bytes.slice(12), r))?.what;
  return V6.find((r) => inRange(bytes, r))?.what;
}
