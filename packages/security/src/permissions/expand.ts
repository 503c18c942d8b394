/**
 * What a shell word with braces or globs turns into, so every file it names can be judged: brace
 * alternatives, then glob segments matched against the directories as they are now. Bash leaves a
 * glob that matches nothing as written. Segments starting with `.` may match `.` and `..` (older
 * shells do), so a `.*` segment may name `..` too.
 */
import { readdirSync } from 'node:fs';
import { linearWholeMatch, type LinearMatcher } from './linear-regex.js';
import nodePath from 'node:path';

const MAX_RESULTS = 2000;
const GLOB = /[*?[]/;

/** `a{b,c}d` → `abd`, `acd` (nested too); undefined when too many or a sequence (`{1..9}`). */
export function expandBraces(word: string): string[] | undefined {
  let out: string[] = [word];
  for (let round = 0; round < 16; round++) {
    const next: string[] = [];
    let changed = false;
    for (const w of out) {
      const alt = firstAlternation(w);
      if (alt === 'sequence') return undefined;
      if (alt === undefined) {
        next.push(w);
        continue;
      }
      changed = true;
      for (const choice of alt.choices) next.push(w.slice(0, alt.start) + choice + w.slice(alt.end + 1));
      if (next.length > MAX_RESULTS) return undefined;
    }
    out = next;
    if (!changed) return out;
  }
  return undefined;
}

function firstAlternation(w: string): { start: number; end: number; choices: string[] } | 'sequence' | undefined {
  for (let start = w.indexOf('{'); start !== -1; start = w.indexOf('{', start + 1)) {
    let depth = 0;
    const commas: number[] = [];
    for (let i = start; i < w.length; i++) {
      const c = w[i];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        const body = w.slice(start + 1, i);
        if (commas.length === 0) {
          if (body.includes('..')) return 'sequence';
          break;
        }
        const choices: string[] = [];
        let from = start + 1;
        for (const comma of commas) {
          choices.push(w.slice(from, comma));
          from = comma + 1;
        }
        choices.push(w.slice(from, i));
        return { start, end: i, choices };
      } else if (c === ',' && depth === 1) commas.push(i);
    }
  }
  return undefined;
}

function segmentRegExp(segment: string): LinearMatcher {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        let body = segment.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  try {
    return linearWholeMatch(re, true);
  } catch {
    return { test: () => true }; // an odd class: match everything, which only widens what gets judged
  }
}

export interface Expansion {
  /** As the program will see it (relative words stay relative). */
  word: string;
  /** Absolute path. */
  path: string;
  /** Nothing matched: the word is passed on as written. */
  literal?: boolean;
}

/** The files a glob names from `cwd` (the literal word when nothing matches); undefined when too many. */
export function expandGlob(word: string, cwd: string): Expansion[] | undefined {
  const absolute = word.startsWith('/');
  const segments = word.split('/');
  let found: Expansion[] = [{ word: absolute ? '' : '', path: absolute ? '/' : cwd }];
  const join = (prefix: string, name: string) => (prefix === '' ? (absolute ? `/${name}` : name) : `${prefix}/${name}`);
  for (const [index, segment] of segments.entries()) {
    if (index === 0 && absolute) continue;
    if (!GLOB.test(segment)) {
      found = found.map((f) => ({ word: join(f.word, segment), path: nodePath.join(f.path, segment) }));
      continue;
    }
    const re = segmentRegExp(segment);
    const next: Expansion[] = [];
    for (const f of found) {
      let names: string[];
      try {
        names = readdirSync(f.path);
      } catch {
        continue;
      }
      if (segment.startsWith('.')) names.push('.', '..');
      for (const name of names) {
        if (name.startsWith('.') && !segment.startsWith('.') && !segment.startsWith('[')) continue;
        if (re.test(name)) next.push({ word: join(f.word, name), path: nodePath.join(f.path, name) });
      }
      if (next.length > MAX_RESULTS) return undefined;
    }
    found = next;
  }
  return found.length > 0 ? found : [{ word, path: nodePath.resolve(cwd, word), literal: true }];
}
