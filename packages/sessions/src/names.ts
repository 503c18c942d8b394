import type { RandomSource } from '@sylk/core';

const ADJECTIVES = [
  'agile',
  'amber',
  'brave',
  'bright',
  'calm',
  'clever',
  'cosmic',
  'crisp',
  'daring',
  'eager',
  'fancy',
  'fierce',
  'gentle',
  'glad',
  'golden',
  'happy',
  'hidden',
  'jolly',
  'keen',
  'kind',
  'lively',
  'lucky',
  'merry',
  'mighty',
  'misty',
  'noble',
  'polite',
  'proud',
  'quick',
  'quiet',
  'rapid',
  'rustic',
  'shy',
  'silent',
  'silver',
  'steady',
  'sunny',
  'swift',
  'tidy',
  'witty',
] as const;

const ANIMALS = [
  'badger',
  'beaver',
  'bison',
  'crane',
  'dingo',
  'dolphin',
  'eagle',
  'falcon',
  'ferret',
  'fox',
  'gecko',
  'heron',
  'ibex',
  'jackal',
  'koala',
  'lemur',
  'lynx',
  'marmot',
  'marten',
  'moose',
  'newt',
  'ocelot',
  'otter',
  'owl',
  'panda',
  'puffin',
  'quail',
  'raven',
  'robin',
  'salmon',
  'seal',
  'stoat',
  'swan',
  'tapir',
  'tiger',
  'toucan',
  'walrus',
  'weasel',
  'wombat',
  'yak',
] as const;

/** A friendly name like `brave-otter`, chosen with the injected randomness. */
export function friendlyName(random: RandomSource): string {
  const bytes = random(4);
  const a = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const b = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  return `${ADJECTIVES[a % ADJECTIVES.length]}-${ANIMALS[b % ANIMALS.length]}`;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** Why `name` cannot be a session name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return 'use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit';
  // Lookups accept an id or a name, so a name must never look like a session id.
  if (/^s_/i.test(name)) return 'names starting with "s_" are reserved for session ids';
  return undefined;
}
