/**
 * Known-value redaction: the exact secrets a process holds (provider keys from its environment
 * and its credential store) replaced wherever text is persisted or sent. Patterns
 * (`scrubSecrets`) cannot know an arbitrary key's format; this can, because it knows the values.
 * One registry per daemon, injected into every place that needs it (events, history, tool
 * output, logs, RPC errors).
 */
import { REDACTED, scrubSecrets } from './secrets.js';

/** Shorter values are ignored: redacting them would hit ordinary words. */
const MIN_SECRET_LENGTH = 8;

/** What consumers of the registry need: one-shot and streaming redaction. */
export interface Redactor {
  /** `text` with every known value (and credential-shaped pattern) replaced by REDACTED. */
  redact(text: string): string;
  /** A copy of `value` with every string inside it redacted. */
  redactDeep<T>(value: T): T;
  /** A redactor for text that arrives in chunks (a value may be split across them). */
  stream(): RedactingStream;
  /**
   * {@link stream} for raw bytes (a command's output): matched on the UTF-8 bytes of each value,
   * so no decoding is needed and a chunk that needs no change is passed on as it is.
   */
  byteStream(): RedactingByteStream;
}

export interface RedactingByteStream {
  write(chunk: Buffer): Buffer;
  end(): Buffer;
}

export interface RedactingStream {
  /** The part of `chunk` (plus what was held back) that is safe to emit now. */
  write(chunk: string): string;
  /** Everything still held back, redacted. */
  end(): string;
}

/** The trailing token held back for patterns in a stream (longer tokens are emitted as they come). */
const PATTERN_HOLD = 256;

type Span = [start: number, end: number];

/** The spellings one kind of input is searched for, longest first. */
interface Needles {
  list: string[];
  longest: number;
}

const NO_NEEDLES: Needles = { list: [], longest: 0 };

/**
 * The secret values a process knows, each under an owner (`env ANTHROPIC_API_KEY`,
 * `credential default/openai`), so one owner's change (a logout, a replaced key) never drops a
 * value another owner still holds. Matching is plain `indexOf` per value (a handful of values:
 * O(n·k)); overlapping hits merge into one REDACTED. Each value is also matched in its
 * JSON-escaped spelling, so serialized events and log lines are covered too.
 */
export class SecretValues implements Redactor {
  private readonly byOwner = new Map<string, string>();
  /** Text spellings (the value and its JSON-escaped form); rebuilt on change. */
  private text: Needles = NO_NEEDLES;
  /** The values' UTF-8 bytes as latin1 strings (one char per byte), for byte streams. */
  private bytes: Needles = NO_NEEDLES;

  /** Record `value` under `owner` (replacing what the owner had); short or empty values are ignored. */
  set(owner: string, value: string | undefined): void {
    const before = this.byOwner.get(owner);
    if (value === undefined || value.length < MIN_SECRET_LENGTH) this.byOwner.delete(owner);
    else this.byOwner.set(owner, value);
    if (before !== this.byOwner.get(owner)) this.rebuild();
  }

  /** Forget what `owner` registered (the value stays if another owner holds it too). */
  delete(owner: string): void {
    this.set(owner, undefined);
  }

  /** Add a value under its own name (for callers with no owner to speak of); false when too short. */
  add(value: string): boolean {
    this.set(`value ${value}`, value);
    return value.length >= MIN_SECRET_LENGTH;
  }

  remove(value: string): void {
    this.delete(`value ${value}`);
  }

  /** Distinct values known. */
  get size(): number {
    return new Set(this.byOwner.values()).size;
  }

  /** Length of the longest spelling looked for (streams hold back at most one less, plus a token). */
  get maxLength(): number {
    return this.text.longest;
  }

  has(value: string): boolean {
    for (const v of this.byOwner.values()) if (v === value) return true;
    return false;
  }

  redact(text: string): string {
    return scrubSecrets(redactWith(text, this.text.list));
  }

  /** Known values only (no patterns). */
  redactValues(text: string): string {
    return redactWith(text, this.text.list);
  }

  /** Strings anywhere inside `value` redacted (a copy; the input is not changed). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactDeep(v)) as T;
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }

  stream(): RedactingStream {
    return streamWith(() => this.text);
  }

  byteStream(): RedactingByteStream {
    const text = streamWith(() => this.bytes);
    return {
      write: (chunk) => {
        const input = chunk.toString('latin1');
        const out = text.write(input);
        return out === input ? chunk : Buffer.from(out, 'latin1');
      },
      end: () => Buffer.from(text.end(), 'latin1'),
    };
  }

  private rebuild(): void {
    const spellings = new Set<string>();
    const bytes = new Set<string>();
    for (const value of this.byOwner.values()) {
      spellings.add(value);
      spellings.add(JSON.stringify(value).slice(1, -1));
      bytes.add(Buffer.from(value, 'utf8').toString('latin1'));
    }
    this.text = needles(spellings);
    this.bytes = needles(bytes);
  }
}

function needles(spellings: Set<string>): Needles {
  const list = [...spellings].sort((a, b) => b.length - a.length);
  return { list, longest: list[0]?.length ?? 0 };
}

/** Every occurrence of every needle, by start; undefined when there is none. */
function spansOf(text: string, needles: readonly string[]): Span[] | undefined {
  if (needles.length === 0 || text.length < MIN_SECRET_LENGTH) return undefined;
  let spans: Span[] | undefined;
  for (const needle of needles) {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1))
      (spans ??= []).push([at, at + needle.length]);
  }
  return spans?.sort((a, b) => a[0] - b[0]);
}

/** `text` with every needle occurrence replaced; overlapping occurrences become one REDACTED. */
function redactWith(text: string, needles: readonly string[]): string {
  const spans = spansOf(text, needles);
  if (spans === undefined) return text;
  let out = '';
  let from = 0;
  let [start, end] = spans[0] as Span;
  for (const [s, e] of spans) {
    if (s <= end) {
      end = Math.max(end, e);
      continue;
    }
    out += text.slice(from, start) + REDACTED;
    from = end;
    [start, end] = [s, e];
  }
  return out + text.slice(from, start) + REDACTED + text.slice(end);
}

/** A chunk redactor over the current needles (read per write: a value registered meanwhile counts). */
function streamWith(current: () => Needles): RedactingStream {
  let held = '';
  const redact = (text: string) => scrubSecrets(redactWith(text, current().list));
  return {
    write: (chunk) => {
      const text = held === '' ? chunk : held + chunk;
      const keep = holdFrom(text, current());
      held = keep === text.length ? '' : text.slice(keep);
      if (keep === 0) return '';
      return redact(keep === text.length ? text : text.slice(0, keep));
    },
    end: () => {
      const rest = held;
      held = '';
      return redact(rest);
    },
  };
}

/**
 * Where the part of `text` that must wait for the next chunk starts: the earliest tail that is
 * a prefix of a known value, or the trailing token (so a credential-shaped pattern is whole).
 */
function holdFrom(text: string, needles: Needles): number {
  let from = text.length;
  const windowStart = Math.max(0, text.length - (needles.longest - 1));
  for (const needle of needles.list) {
    const first = needle.charAt(0);
    for (let at = text.indexOf(first, windowStart); at !== -1 && at < from; at = text.indexOf(first, at + 1)) {
      if (needle.startsWith(text.slice(at))) {
        from = at;
        break;
      }
    }
  }
  let token = text.length;
  while (token > 0 && text.length - token < PATTERN_HOLD && text.charCodeAt(token - 1) > 32) token--;
  from = Math.min(from, token);
  // A whole value running into the held part is held too, so overlapping values merge as in redact().
  for (let moved = true; moved && from < text.length;) {
    moved = false;
    for (const needle of needles.list) {
      const at = text.indexOf(needle, Math.max(0, from - needle.length + 1));
      if (at !== -1 && at < from) {
        from = at;
        moved = true;
      }
    }
  }
  return from;
}

/**
 * Redacts JSON text. A replacement inside a string keeps the JSON valid; should one ever straddle
 * its structure (a value with quotes in it), every string is redacted on its own instead.
 */
export function redactJson(json: string, redact: (text: string) => string): string {
  const out = redact(json);
  if (out === json) return json;
  try {
    JSON.parse(out);
    return out;
  } catch {
    return JSON.stringify(
      JSON.parse(json, (_key, value: unknown) => (typeof value === 'string' ? redact(value) : value)),
    );
  }
}
