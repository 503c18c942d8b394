import { randomBytes } from 'node:crypto';

/** Source of randomness, injected so ids are reproducible in tests. */
export type RandomSource = (bytes: number) => Uint8Array;

export const cryptoRandom: RandomSource = (n) => randomBytes(n);

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A sortable id: 10 chars of millisecond time + 16 chars of randomness
 * (ULID layout, lower-case Crockford base32), optionally prefixed.
 */
export function newId(prefix = '', now: number = Date.now(), random: RandomSource = cryptoRandom): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = random(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[(bytes[i] ?? 0) % 32];
  return prefix === '' ? time + rand : `${prefix}_${time}${rand}`;
}
