import { RE2JS } from 're2js';
import { errorMessage } from '@sylk/core';

/**
 * Glob matching for list_files / search and the .gitignore-lite rules, with ripgrep's convention:
 * a pattern without `/` matches a name at any depth (`*.ts`); one with `/` matches the whole
 * relative path (`src/**\/*.ts`). Supports `**`, `*`, `?`, `[...]` and `{a,b}`.
 */
export interface GlobMatcher {
  (relativePath: string): boolean;
  /**
   * Globs come from the model and from a repository's .gitignore: several `*` compile to a regex
   * that backtracks polynomially (`*a*a*a*a*b`), so those run on linear-time RE2JS; a glob with at
   * most one `*`/`**` cannot backtrack much and keeps the faster built-in RegExp.
   */
  readonly engine: 'regexp' | 're2js';
}

const MAX_GLOB_CHARS = 1000;

/** Throws an Error saying what is wrong for a glob that is too long or does not compile. */
export function globMatcher(pattern: string): GlobMatcher {
  if (pattern.length > MAX_GLOB_CHARS)
    throw new Error(`Glob too long (${pattern.length} characters; at most ${MAX_GLOB_CHARS}).`);
  const trimmed = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  const anchored = trimmed.includes('/');
  const source = trimmed.startsWith('/') ? trimmed.slice(1) : trimmed;
  const stars = source.match(/\*+/g)?.length ?? 0;
  const engine = stars <= 1 && !source.includes('{') ? 'regexp' : 're2js';
  let test: (path: string) => boolean;
  try {
    const regexSource = `^${globSource(source)}$`;
    if (engine === 'regexp') {
      const regex = new RegExp(regexSource);
      test = (path) => regex.test(path);
    } else {
      const regex = RE2JS.compile(regexSource);
      test = (path) => regex.test(path);
    }
  } catch (err) {
    throw new Error(`Invalid glob "${pattern}": ${errorMessage(err).replace(/^error parsing regexp: /, '')}`);
  }
  const matcher = anchored
    ? (path: string) => test(path)
    : (path: string) => test(path.slice(path.lastIndexOf('/') + 1));
  return Object.assign(matcher, { engine } as const);
}

function globSource(glob: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out + ')'.repeat(braces);
}
