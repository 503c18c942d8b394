import { RE2JS } from 're2js';

/** A compiled whole-string matcher. */
export interface LinearMatcher {
  test(text: string): boolean;
}

/**
 * Globs in rules and shell words come from users, repositories and the model, and the text they
 * are matched against (paths, file names) often does too. `*a*a*a…b` backtracks polynomially in
 * JavaScript's RegExp, so these run on RE2JS, whose matching is linear in the input.
 * `source` is an anchored-by-us RE2 body (no `^`/`$`).
 */
export function linearWholeMatch(source: string, dotAll = false): LinearMatcher {
  const re = RE2JS.compile(source, dotAll ? RE2JS.DOTALL : 0);
  return { test: (text) => re.testExact(text) };
}
