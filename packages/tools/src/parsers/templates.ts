import { runInNewContext } from 'node:vm';
import safeRegex from 'safe-regex2';
import { ErrorTier, SylkError } from '@sylk/core';
import type { OutputParser, ParseResult, StreamEvent, TestResult } from './types.js';
import { Collector, diag, int, lines, test } from './util.js';

export interface TemplateRule {
  name: string;
  /** JavaScript regex source with named groups, matched against one line at a time. */
  regex: string;
  kind: 'error' | 'warning' | 'test';
  /** Only `i` is allowed. */
  flags?: string;
}

export interface ParseTemplate {
  toolPattern: string;
  rules: TemplateRule[];
  /** Real output the template must extract something from. */
  example: string;
}

export interface TemplateMatch {
  rule: string;
  kind: TemplateRule['kind'];
  line: number;
  fields: Record<string, string>;
}

export interface ApplyResult {
  matches: TemplateMatch[];
  result: ParseResult;
  warnings: string[];
}

export interface ApplyOptions {
  /** CPU budget for the whole apply; regexes run in a vm context that is interrupted after it. */
  timeoutMs?: number;
  maxLineLength?: number;
}

const FIELD_NAMES = /^[A-Za-z][A-Za-z0-9_]*$/;

function invalid(message: string, template: ParseTemplate): SylkError {
  return new SylkError(`Parse template for "${template.toolPattern}" rejected: ${message}`, {
    code: 'tools.template_invalid',
    tier: ErrorTier.Permanent,
    details: { toolPattern: template.toolPattern },
  });
}

/** Throws tools.template_invalid unless the template is well-formed, safe and parses its example. */
export function validateTemplate(template: ParseTemplate): void {
  if (typeof template.toolPattern !== 'string' || template.toolPattern.trim() === '') throw invalid('empty toolPattern', template);
  if (!Array.isArray(template.rules) || template.rules.length === 0) throw invalid('no rules', template);
  if (typeof template.example !== 'string' || template.example.trim() === '') throw invalid('no example output', template);
  for (const rule of template.rules) {
    if (!['error', 'warning', 'test'].includes(rule.kind)) throw invalid(`rule "${rule.name}" has unknown kind "${String(rule.kind)}"`, template);
    if (rule.flags !== undefined && !/^i?$/.test(rule.flags)) throw invalid(`rule "${rule.name}" uses flags "${rule.flags}" (only "i" is allowed)`, template);
    let re: RegExp;
    try {
      re = new RegExp(rule.regex, rule.flags);
    } catch (err) {
      throw invalid(`rule "${rule.name}" has an invalid regex: ${(err as Error).message}`, template);
    }
    const groups = [...rule.regex.matchAll(/\(\?<([^>=!][^>]*)>/g)].map((m) => m[1] ?? '');
    if (groups.length === 0) throw invalid(`rule "${rule.name}" has no named groups`, template);
    const bad = groups.find((g) => !FIELD_NAMES.test(g));
    if (bad !== undefined) throw invalid(`rule "${rule.name}" has a bad group name "${bad}"`, template);
    if (!safeRegex(re)) throw invalid(`rule "${rule.name}" has a catastrophic (nested-quantifier) pattern`, template);
  }
  const { matches, warnings } = apply(template, template.example, { timeoutMs: 200 });
  if (warnings.some((w) => w.startsWith('timed out'))) throw invalid('the regexes are too slow on the example', template);
  if (matches.length === 0) throw invalid('it extracts nothing from its example', template);
}

/** Runs the rules over each line in an isolated, time-limited vm context. */
export function apply(template: ParseTemplate, output: string, options: ApplyOptions = {}): ApplyResult {
  const maxLineLength = options.maxLineLength ?? 4096;
  const warnings: string[] = [];
  const all = lines(output);
  const inputLines = all.map((l) => (l.length > maxLineLength ? '' : l));
  const skipped = all.length - all.filter((l) => l.length <= maxLineLength).length;
  if (skipped > 0) warnings.push(`${skipped} line(s) longer than ${maxLineLength} chars were skipped`);
  const rules = template.rules.map((r) => ({ regex: r.regex, flags: r.flags ?? '' }));
  let raw: Array<[number, number, Record<string, string>]> = [];
  const sandbox = { rules, inputLines, out: [] as unknown[] };
  try {
    // Results are pushed as they are found so a timeout still leaves the partial matches.
    runInNewContext(
      `const res = rules.map((r) => new RegExp(r.regex, r.flags));
       for (let i = 0; i < inputLines.length; i++) for (let j = 0; j < res.length; j++) {
         const m = res[j].exec(inputLines[i]);
         if (m && m.groups) out.push(JSON.stringify([i, j, m.groups]));
       }`,
      sandbox,
      { timeout: options.timeoutMs ?? 250 },
    );
  } catch (err) {
    warnings.push(`timed out or failed after ${sandbox.out.length} match(es): ${(err as Error).message}`);
  }
  raw = sandbox.out.map((s) => JSON.parse(String(s)) as [number, number, Record<string, string>]);
  const matches: TemplateMatch[] = [];
  for (const [lineIndex, ruleIndex, groups] of raw) {
    const rule = template.rules[ruleIndex];
    if (rule === undefined) continue;
    const fields = Object.fromEntries(Object.entries(groups).filter(([, v]) => typeof v === 'string'));
    matches.push({ rule: rule.name, kind: rule.kind, line: lineIndex + 1, fields });
  }
  const collector = new Collector();
  for (const m of matches) {
    const event = toEvent(m, warnings);
    if (event !== undefined) collector.add([event]);
  }
  return { matches, result: collector.result(template.toolPattern, undefined, matches.some((m) => m.kind === 'test')), warnings };
}

function toEvent(m: TemplateMatch, warnings: string[]): StreamEvent | undefined {
  const f = m.fields;
  if (m.kind === 'test') {
    if (f.name === undefined) {
      warnings.push(`rule "${m.rule}" matched line ${m.line} without a "name" field`);
      return undefined;
    }
    const duration = f.durationMs ?? f.duration;
    return test({ name: f.name, status: testStatus(f.status), durationMs: duration === undefined ? undefined : Number(duration), message: f.message });
  }
  if (f.message === undefined) warnings.push(`rule "${m.rule}" matched line ${m.line} without a "message" field`);
  return diag(m.kind, f.message ?? f[Object.keys(f)[0] ?? ''] ?? '', {
    file: f.file, line: int(f.line), col: int(f.col ?? f.column), rule: f.rule ?? f.code,
  });
}

function testStatus(word: string | undefined): TestResult['status'] {
  const w = (word ?? 'pass').toLowerCase();
  if (/^(fail|failed|failure|error|not ok|✗|×|x)$/.test(w)) return 'fail';
  if (/^(skip|skipped|ignored|pending|todo)$/.test(w)) return 'skip';
  return 'pass';
}

/** A registry parser built from a validated template. */
export function templateParser(template: ParseTemplate): OutputParser {
  return { tool: template.toolPattern, parse: (output) => apply(template, output).result };
}
