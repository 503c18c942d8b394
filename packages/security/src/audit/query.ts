import { join } from 'node:path';
import { RE2JS } from 're2js';
import { ErrorTier, SylkError } from '@sylk/core';
import { parseLine } from './format.js';
import { forEachLine, listAuditFiles } from './lines.js';
import { AUDIT_CATEGORIES, type AuditEntry, type AuditQuery } from './types.js';

const MAX_TARGET_REGEX = 256;

/**
 * A user-supplied target pattern, compiled with RE2 (linear time, no backtracking), so no
 * pattern can freeze the daemon. RE2 syntax: no lookaround or backreferences.
 */
function compileTargetRegex(pattern: string): (target: string) => boolean {
  if (pattern.length > MAX_TARGET_REGEX) {
    throw new SylkError(`target regex is ${pattern.length} characters; at most ${MAX_TARGET_REGEX} are allowed`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
      hint: 'use a shorter pattern',
    });
  }
  try {
    const re = RE2JS.compile(pattern);
    return (target) => re.test(target);
  } catch (err) {
    throw new SylkError(`invalid target regex '${pattern}': ${(err as Error).message}`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
      hint: 'RE2 syntax (as in Go): no lookahead, lookbehind or backreferences',
    });
  }
}

/** Checks a query's values and builds its predicate; throws a user-fixable error for bad input. */
function compileQuery(q: AuditQuery): (e: AuditEntry) => boolean {
  for (const c of q.categories ?? []) {
    if (!(AUDIT_CATEGORIES as readonly string[]).includes(c)) {
      throw new SylkError(`unknown audit category '${c}'`, {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
        hint: `one of: ${AUDIT_CATEGORIES.join(', ')}`,
      });
    }
  }
  const categories = q.categories !== undefined && q.categories.length > 0 ? new Set(q.categories) : undefined;
  const target = q.targetRegex ? compileTargetRegex(q.targetRegex) : undefined;
  return (e) =>
    (q.since === undefined || e.time >= q.since) &&
    (q.until === undefined || e.time <= q.until) &&
    (categories === undefined || categories.has(e.category)) &&
    (!q.sessionId || e.sessionId === q.sessionId) &&
    (!q.action || e.action === q.action) &&
    (!q.outcome || e.outcome === q.outcome) &&
    (target === undefined || target(e.target));
}

/**
 * Matching entries across every rotated file, oldest first (default) or newest first, up to
 * `limit`. Lines that do not parse are skipped here (verify reports them). Streams per file.
 */
export async function* queryAuditLog(dir: string, q: AuditQuery): AsyncGenerator<AuditEntry> {
  const matches = compileQuery(q);
  const limit = q.limit !== undefined && q.limit > 0 ? q.limit : Infinity;
  const files = await listAuditFiles(dir);
  if (q.order === 'newest') files.reverse();
  let sent = 0;
  for (const name of files) {
    const found: AuditEntry[] = [];
    const oldestFirst = q.order !== 'newest';
    await forEachLine(join(dir, name), (line) => {
      if (!line.startsWith('{"seq":')) return;
      const parsed = parseLine(line);
      if (parsed.kind !== 'entry' || !matches(parsed.entry)) return;
      found.push(parsed.entry);
      // Newest first keeps only the file's last `limit` matches.
      if (!oldestFirst && found.length > 2 * limit) found.splice(0, found.length - limit);
      // Oldest first can stop reading once the limit is reached.
      if (oldestFirst && sent + found.length >= limit) return false;
    });
    if (!oldestFirst) found.reverse();
    for (const e of found) {
      if (sent >= limit) return;
      sent++;
      yield e;
    }
  }
}
