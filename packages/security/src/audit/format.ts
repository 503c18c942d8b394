import * as crypto from 'node:crypto';
import type { AuditDetailValue, AuditEntry } from './types.js';

/**
 * The on-disk format, shared by the writer and the reader.
 *
 * An entry line is the entry's canonical text with `,"hash":"<hex>"` spliced in before the
 * closing brace. The canonical text is `JSON.stringify` of the fields in the fixed order
 * seq, id, time, category, severity, action, target, outcome, sessionId, projectId, details
 * (keys sorted), prev; the hash is SHA-256 over exactly those bytes (UTF-8). So a verifier
 * hashes the line minus its hash field: any edited byte changes the hash.
 *
 * A signature line is `{"sig":<signed JSON>,"signature":"<base64>"}` where the Ed25519
 * signature covers the exact bytes of the `sig` object: from, to, chainHash (the hash of entry
 * `to`, which transitively covers every entry before it), keyId and time.
 */

export const GENESIS_HASH = '0'.repeat(64);
const FILE_PREFIX = 'audit-';
const FILE_SUFFIX = '.jsonl';
const HASH_FIELD = ',"hash":"';
/** `,"hash":"` + 64 hex + `"}` */
const HASH_TAIL_LENGTH = HASH_FIELD.length + 64 + 2;
const SIG_HEAD = '{"sig":';
const SIG_FIELD = ',"signature":"';

export interface SignedRange {
  from: number;
  to: number;
  chainHash: string;
  keyId: string;
  time: number;
}

export type ParsedLine =
  | { kind: 'entry'; entry: AuditEntry; canonical: string }
  | { kind: 'signature'; sig: SignedRange; signedText: string; signature: string }
  | { kind: 'invalid'; reason: string };

type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string;
/** `crypto.hash` (Node ≥ 20.12) is faster than createHash for short inputs. */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

export const sha256Hex: (data: string | Uint8Array) => string =
  oneShot !== undefined
    ? (data) => oneShot('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

function sortedDetails(
  details: Readonly<Record<string, AuditDetailValue>> | undefined,
): Readonly<Record<string, AuditDetailValue>> {
  const out: Record<string, AuditDetailValue> = {};
  if (details === undefined) return out;
  const keys = Object.keys(details);
  let inOrder = true;
  for (let i = 0; i < keys.length && inOrder; i++)
    inOrder = (i === 0 || (keys[i - 1] as string) < (keys[i] as string)) && details[keys[i] as string] !== undefined;
  if (inOrder) return details;
  for (const key of keys.sort()) {
    const v = details[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** What JSON.stringify escapes in a string: quote, backslash, control characters, surrogates. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
/** JSON.stringify(s), without the call for the common string that needs no escaping. */
const str = (s: string) => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/**
 * The canonical text of an entry without its hash: exactly what `JSON.stringify` gives for the
 * fields in canonical order (built by hand, which is faster than an object plus stringify).
 */
export function canonicalText(e: Omit<AuditEntry, 'hash'>): string {
  return (
    `{"seq":${e.seq},"id":${str(e.id)},"time":${e.time},"category":${str(e.category)},"severity":${str(e.severity)},` +
    `"action":${str(e.action)},"target":${str(e.target)},"outcome":${str(e.outcome)},"sessionId":${str(e.sessionId)},` +
    `"projectId":${str(e.projectId)},"details":${JSON.stringify(sortedDetails(e.details))},"prev":${str(e.prev)}}`
  );
}

/** `,"prev":"<64 hex>","hash":"<64 hex>"}` — how every entry line ends. */
const LINK_TAIL = ',"prev":"'.length + 64 + 1 + HASH_FIELD.length + 64 + 2;

/**
 * The fields verify needs, read by position without parsing the JSON: a line whose hash matches
 * its bytes is exactly what the writer wrote. Undefined when the line does not have that shape.
 */
export function entryLinks(line: string): { seq: number; prev: string; hash: string; canonical: string } | undefined {
  if (!line.startsWith('{"seq":') || line.length < LINK_TAIL + 20 || !line.endsWith('"}')) return undefined;
  const comma = line.indexOf(',', 7);
  const seq = Number(line.slice(7, comma));
  const tail = line.length - LINK_TAIL;
  if (
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    line.slice(tail, tail + 9) !== ',"prev":"' ||
    line.slice(tail + 73, tail + 74 + HASH_FIELD.length) !== `"${HASH_FIELD}`
  )
    return undefined;
  const prev = line.slice(tail + 9, tail + 73);
  const hash = line.slice(line.length - 66, line.length - 2);
  return { seq, prev, hash, canonical: `${line.slice(0, line.length - HASH_TAIL_LENGTH)}}` };
}

/** Canonical text → the stored line (without the newline) and its hash. */
export function sealEntry(canonical: string): { line: string; hash: string } {
  const hash = sha256Hex(canonical);
  return { line: `${canonical.slice(0, -1)}${HASH_FIELD}${hash}"}`, hash };
}

export function signatureLine(signedText: string, signatureBase64: string): string {
  return `${SIG_HEAD}${signedText}${SIG_FIELD}${signatureBase64}"}`;
}

/** Splits a line into its parts without trusting it; never throws. */
export function parseLine(line: string): ParsedLine {
  if (line.startsWith(SIG_HEAD)) return parseSignature(line);
  if (line.length < HASH_TAIL_LENGTH + 2 || !line.endsWith('"}'))
    return { kind: 'invalid', reason: 'not a complete audit line (torn write or edited)' };
  const at = line.length - HASH_TAIL_LENGTH;
  if (line.slice(at, at + HASH_FIELD.length) !== HASH_FIELD)
    return { kind: 'invalid', reason: 'no hash field at the end of the line (edited)' };
  const canonical = `${line.slice(0, at)}}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { kind: 'invalid', reason: 'not valid JSON (torn write or edited)' };
  }
  if (!isEntry(parsed)) return { kind: 'invalid', reason: 'not an audit entry (fields missing or of the wrong type)' };
  return { kind: 'entry', entry: parsed, canonical };
}

function parseSignature(line: string): ParsedLine {
  const at = line.lastIndexOf(SIG_FIELD);
  if (at < 0 || !line.endsWith('"}'))
    return { kind: 'invalid', reason: 'not a complete signature line (torn write or edited)' };
  const signedText = line.slice(SIG_HEAD.length, at);
  const signature = line.slice(at + SIG_FIELD.length, -2);
  let sig: unknown;
  try {
    sig = JSON.parse(signedText);
  } catch {
    return { kind: 'invalid', reason: 'signature record is not valid JSON (edited)' };
  }
  const s = sig as Partial<SignedRange>;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.from !== 'number' ||
    typeof s.to !== 'number' ||
    typeof s.chainHash !== 'string' ||
    typeof s.keyId !== 'string' ||
    typeof s.time !== 'number'
  ) {
    return { kind: 'invalid', reason: 'signature record has missing fields (edited)' };
  }
  return { kind: 'signature', sig: s as SignedRange, signedText, signature };
}

function isEntry(v: unknown): v is AuditEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.seq === 'number' &&
    typeof e.id === 'string' &&
    typeof e.time === 'number' &&
    typeof e.category === 'string' &&
    typeof e.severity === 'string' &&
    typeof e.action === 'string' &&
    typeof e.target === 'string' &&
    typeof e.outcome === 'string' &&
    typeof e.sessionId === 'string' &&
    typeof e.projectId === 'string' &&
    typeof e.details === 'object' &&
    e.details !== null &&
    typeof e.prev === 'string' &&
    typeof e.hash === 'string'
  );
}

/** File names sort in log order: the first sequence number they hold, zero-padded. */
export function fileNameFor(firstSeq: number): string {
  return `${FILE_PREFIX}${String(firstSeq).padStart(16, '0')}${FILE_SUFFIX}`;
}

export function isAuditFileName(name: string): boolean {
  return name.startsWith(FILE_PREFIX) && name.endsWith(FILE_SUFFIX);
}
