import { RE2JS } from 're2js';
import { errorMessage } from '@sylk/core';

/**
 * Regular expressions written by the model (or shipped in a repository) run on RE2JS, a pure-JS
 * port of RE2: matching is linear in the input, so no pattern can backtrack catastrophically and
 * freeze the daemon's event loop the way `(a+)+$` does with JavaScript's RegExp.
 */
export const UNTRUSTED_REGEX_LIMITS = {
  /** Characters of pattern source accepted. */
  maxPatternChars: 1000,
  /** Instructions in the compiled program: matching costs up to this much per input character. */
  maxProgramSize: 500,
};

export interface UntrustedRegex {
  /** Always `re2js`: the linear-time engine (tests assert it, so nobody swaps RegExp back in). */
  readonly engine: 're2js';
  /** The RE2 source actually compiled (JS-only escapes translated). */
  readonly source: string;
  /** Worst-case work per input character (compiled program size), for cooperative yielding. */
  readonly costPerChar: number;
  /** Unanchored search, like RegExp.prototype.test. */
  test(text: string): boolean;
}

export type UntrustedRegexResult = { ok: true; regex: UntrustedRegex } | { ok: false; message: string };

export interface UntrustedRegexOptions {
  ignoreCase?: boolean;
  /** Defaults to UNTRUSTED_REGEX_LIMITS.maxPatternChars. */
  maxPatternChars?: number;
}

/** Compiles a pattern in JavaScript syntax; never throws, never backtracks. */
export function compileUntrusted(pattern: string, options: UntrustedRegexOptions = {}): UntrustedRegexResult {
  const maxChars = options.maxPatternChars ?? UNTRUSTED_REGEX_LIMITS.maxPatternChars;
  if (pattern.length > maxChars)
    return {
      ok: false,
      message: `Pattern too long (${pattern.length} characters; at most ${maxChars}). Search for a shorter, distinctive part of the text.`,
    };
  const unsupported = unsupportedSyntax(pattern);
  if (unsupported !== undefined) return { ok: false, message: unsupported };
  const source = translateJsEscapes(pattern);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source, options.ignoreCase === true ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    return {
      ok: false,
      message: `Invalid regular expression /${pattern}/: ${errorMessage(err).replace(/^error parsing regexp: /, '')}. ${SYNTAX_NOTE}`,
    };
  }
  const costPerChar = programSize(compiled);
  if (costPerChar > UNTRUSTED_REGEX_LIMITS.maxProgramSize) {
    return {
      ok: false,
      message:
        `Regular expression too large (${costPerChar} instructions compiled; ` +
        `at most ${UNTRUSTED_REGEX_LIMITS.maxProgramSize}): ` +
        `lower the repeat counts such as {500}, or split it into several searches.`,
    };
  }
  return { ok: true, regex: { engine: 're2js', source, costPerChar, test: (text) => compiled.test(text) } };
}

const SYNTAX_NOTE = 'Patterns use RE2 syntax (JavaScript-like, linear time: no lookaround, no backreferences).';

/** Constructs RE2 rejects, with what to write instead (RE2's own message does not say). */
function unsupportedSyntax(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return (
          `Backreferences (\\${next}…) are not supported: ${SYNTAX_NOTE} ` +
          `Match the repeated text explicitly, or search for one part and read the matching lines.`
        );
      }
      i++;
    } else if (c === '[') {
      i = classEnd(pattern, i);
    } else if (c === '(' && pattern[i + 1] === '?') {
      const head = pattern.slice(i + 2, i + 4);
      if (head.startsWith('=') || head.startsWith('!') || head === '<=' || head === '<!') {
        return (
          `Lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported: ` +
          `${SYNTAX_NOTE} Match the surrounding text instead (e.g. "foo(?!bar)" → "foo([^b]|$)"), ` +
          `or search for the wider pattern and read the lines.`
        );
      }
    }
  }
  return undefined;
}

/** Index of the `]` closing the class that opens at `start` (escapes honoured). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}

/** JavaScript escapes RE2 spells differently: `\uXXXX` and `\u{X…}` are RE2's `\x{…}`. */
function translateJsEscapes(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const rest = pattern.slice(i + 1);
    const braced = /^u\{([0-9A-Fa-f]{1,6})\}/.exec(rest);
    const fixed = /^u([0-9A-Fa-f]{4})/.exec(rest);
    const hit = braced ?? fixed;
    if (hit !== null) {
      out += `\\x{${hit[1]}}`;
      i += hit[0].length;
    } else {
      out += c + (pattern[i + 1] ?? '');
      i++;
    }
  }
  return out;
}

/** Compiled program size; RE2JS keeps it on an internal field, so fall back to the pattern length. */
function programSize(compiled: RE2JS): number {
  const prog: unknown = (compiled.re2Input as { prog?: unknown } | undefined)?.prog;
  const numInst = (prog as { numInst?: unknown } | undefined)?.numInst;
  return typeof numInst === 'function' ? Number(numInst.call(prog)) : compiled.pattern().length;
}
