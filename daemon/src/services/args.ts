/**
 * Bounds for id and name arguments at the RPC boundary. A 100 KB "session id" echoed whole into
 * an error would travel in the gRPC trailer, past the client's metadata limit, and break the
 * client's connection; every id/name a handler takes goes through here first.
 */
import { ErrorTier, SylkError } from '@sylk/core';

/** Characters: ids are ~30, names are short; project paths are bounded by PATH_MAX. */
export const ARG_LIMITS = { id: 256, name: 256, path: 4096 } as const;

/**
 * `value` cut to `max` characters for an error message, marked when cut.
 */
export function echoArg(value: string, max = 64): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/** `value` itself when it fits `kind`'s limit; otherwise an invalid_argument that echoes it truncated. */
export function boundedArg(value: string, field: string, kind: keyof typeof ARG_LIMITS = 'id'): string {
  const max = ARG_LIMITS[kind];
  if (value.length <= max) return value;
  throw new SylkError(`${field} '${echoArg(value)}' is too long: at most ${max} characters`, {
    code: 'invalid_argument',
    tier: ErrorTier.UserFixable,
    hint: `Pass a ${field} as shown by \`sylk ls\` (or \`sylk approvals\`).`,
  });
}

/**
 * UTF-8 bytes of a prompt or input once stored as event JSON. Well under MAX_MESSAGE_BYTES
 * (64 MiB): the event that records the input must always be deliverable in one message.
 * @internal exported for tests
 */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** `text` when its event fits a message; otherwise an invalid_argument saying what to do. */
export function boundedInput(text: string, field: string): string {
  // Cheap first: most inputs are far below the limit even at 6 bytes per character (JSON \u escapes).
  if (text.length * 6 <= MAX_INPUT_BYTES) return text;
  const bytes = Buffer.byteLength(JSON.stringify(text));
  if (bytes <= MAX_INPUT_BYTES) return text;
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  throw new SylkError(`${field} is ${mib(bytes)} MiB; the limit is ${mib(MAX_INPUT_BYTES)} MiB`, {
    code: 'invalid_argument',
    tier: ErrorTier.UserFixable,
    hint: 'Put large material in a file in the project and ask the agent to read it.',
  });
}
