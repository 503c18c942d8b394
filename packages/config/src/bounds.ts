/**
 * Limits checked on untrusted YAML text before it reaches the parser.
 *
 * Why: the `yaml` parser recurses once per nesting level. A 10 KB file nested ~2,000 levels deep
 * overflows the stack inside it; that is caught, but it leaves the parser's regular expressions
 * being tiered up (recompiled to native code, which V8 does on a later run) while the stack is
 * almost exhausted, and V8 then aborts the whole process ("RegExpCompiler Allocation failed -
 * process out of memory") — on the second parse, not the first. So deep text must never be
 * parsed at all: this scan is linear, keeps no recursion and measures nesting the way the parser
 * will see it (flow brackets, block indentation, compact `- - x` / `? ? x` entries), then the
 * parser's concrete syntax tree, which it builds without recursion, is measured exactly.
 */

import { Parser } from 'yaml';

export const YAML_LIMITS = {
  /** Bytes (UTF-16 code units) of text; config files are a few KB. */
  maxBytes: 1024 * 1024,
  /** Nesting levels; the deepest real config is under 10. */
  maxDepth: 64,
  /** Alias references (`*name`); expansion is bounded too, by toJS({ maxAliasCount }). */
  maxAliases: 100,
} as const;

export interface YamlBoundsProblem {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  reason: string;
}

export type YamlLimits = { maxBytes: number; maxDepth: number; maxAliases: number };

interface Cursor {
  line: number;
  col: number;
}

/** The first limit `text` breaks, or undefined when it is safe to hand to the parser. */
export function checkYamlBounds(text: string, limits: YamlLimits = YAML_LIMITS): YamlBoundsProblem | undefined {
  if (text.length > limits.maxBytes) {
    return {
      line: 1,
      col: 1,
      reason: `${text.length} bytes is larger than the ${limits.maxBytes}-byte limit for a config file`,
    };
  }
  const tooDeep = (at: Cursor): YamlBoundsProblem => ({
    ...at,
    reason: `nested more than ${limits.maxDepth} levels deep (the limit for a config file); flatten the structure`,
  });
  // Indentation columns of the open block collections, innermost last.
  const indents: number[] = [];
  let flowDepth = 0;
  let aliases = 0;
  let quote: '"' | "'" | undefined;
  let afterQuoted = false;
  // Block scalar (`|` / `>`): lines indented deeper than this are text, not structure.
  let blockScalarIndent: number | undefined;
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l] ?? '';
    let i = 0;
    if (quote === undefined && flowDepth === 0) {
      while (i < line.length && line[i] === ' ') i++;
      const blank = i === line.length || line[i] === '#' || line[i] === '\r';
      if (blank) continue;
      if (blockScalarIndent !== undefined) {
        if (i > blockScalarIndent) continue;
        blockScalarIndent = undefined;
      }
      while (indents.length > 0 && (indents.at(-1) ?? 0) > i) indents.pop();
      if (indents.length === 0 || (indents.at(-1) ?? 0) < i) indents.push(i);
      // Compact nested entries on one line: `- - - x`, `? ? x`, `- key: - x` each open a level.
      let compact = 0;
      while (
        i < line.length &&
        (line[i] === '-' || line[i] === '?') &&
        (line[i + 1] === ' ' || line[i + 1] === undefined)
      ) {
        compact++;
        i += 2;
        while (line[i] === ' ') i++;
      }
      if (indents.length + compact > limits.maxDepth) return tooDeep({ line: l + 1, col: i + 1 });
    }
    // Where this line's node starts: block scalar text belongs to it when indented deeper.
    const nodeColumn = i;
    // Whether the next character starts a scalar or collection. Quotes and brackets are structure
    // only there (or anywhere inside a flow collection); inside a plain scalar they are text, so
    // `a: x[` or `a: it's` cannot make the scan lose track of what the parser will see.
    let atValueStart = true;
    for (; i < line.length; i++) {
      const c = line[i] as string;
      if (quote !== undefined) {
        if (quote === '"' && c === '\\') i++;
        else if (c === quote) {
          if (quote === "'" && line[i + 1] === "'") i++;
          else {
            quote = undefined;
            afterQuoted = true;
          }
        }
        continue;
      }
      if (c === ' ' || c === '\t') continue;
      const prev = i === 0 ? ' ' : line[i - 1];
      if (c === '#' && (prev === ' ' || prev === '\t' || i === 0)) break;
      // Brackets are always structure inside a flow collection; quotes only where a node starts.
      const structural = atValueStart || flowDepth > 0;
      const quoteAllowed = atValueStart;
      const wasQuoted = afterQuoted;
      atValueStart = false;
      afterQuoted = false;
      if ((c === '"' || c === "'") && quoteAllowed) {
        quote = c;
      } else if ((c === '[' || c === '{') && structural) {
        flowDepth++;
        atValueStart = true;
        if (indents.length + flowDepth > limits.maxDepth) return tooDeep({ line: l + 1, col: i + 1 });
      } else if ((c === ']' || c === '}') && flowDepth > 0) {
        flowDepth--;
      } else if (c === ',' && flowDepth > 0) {
        atValueStart = true;
      } else if (c === ':' && (/^[\s,[\]{}]?$/.test(line[i + 1] ?? '') || wasQuoted)) {
        atValueStart = true; // `key: value`, and JSON-style `"key":value` in a flow collection
      } else if ((c === '-' || c === '?') && structural && /^\s?$/.test(line[i + 1] ?? '')) {
        atValueStart = true;
      } else if (c === '*' || c === '&' || c === '!') {
        if (c === '*' && ++aliases > limits.maxAliases) {
          return {
            line: l + 1,
            col: i + 1,
            reason: `more than ${limits.maxAliases} alias references (*name); write the values out`,
          };
        }
        // An anchor or tag is followed by its node; skip the name.
        while (i + 1 < line.length && !/[\s,[\]{}]/.test(line[i + 1] as string)) i++;
        atValueStart = c !== '*';
      } else if (
        (c === '|' || c === '>') &&
        structural &&
        flowDepth === 0 &&
        /^[|>][-+0-9]*\s*(#.*)?\r?$/.test(line.slice(i))
      ) {
        blockScalarIndent = nodeColumn;
        break;
      }
    }
  }
  // The scan is a fast filter; the parser's own concrete syntax tree (built without recursion)
  // is the exact measure, so a text the scan misjudges still cannot reach the recursive stage.
  return cstProblem(text, limits);
}

interface CstNode {
  type: string;
  offset: number;
  value?: unknown;
  items?: Array<{ key?: unknown; value?: unknown }>;
}

function isCstNode(value: unknown): value is CstNode {
  return typeof value === 'object' && value !== null && typeof (value as CstNode).type === 'string';
}

function positionOf(text: string, offset: number): Cursor {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * Nesting depth and alias count as the YAML parser's CST sees them; an explicit stack, no
 * recursion (the CST parser keeps its own stack too). Exported for tests.
 * @internal exported for tests
 */
export function cstProblem(text: string, limits: YamlLimits): YamlBoundsProblem | undefined {
  const stack: Array<[CstNode, number]> = [];
  for (const token of new Parser().parse(text)) if (isCstNode(token)) stack.push([token, 0]);
  let aliases = 0;
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (depth > limits.maxDepth) {
      return {
        ...positionOf(text, node.offset),
        reason: `nested more than ${limits.maxDepth} levels deep (the limit for a config file); flatten the structure`,
      };
    }
    if (node.type === 'alias' && ++aliases > limits.maxAliases) {
      return {
        ...positionOf(text, node.offset),
        reason: `more than ${limits.maxAliases} alias references (*name); write the values out`,
      };
    }
    if (node.type === 'document' && isCstNode(node.value)) stack.push([node.value, depth]);
    for (const item of node.items ?? []) {
      if (isCstNode(item.key)) stack.push([item.key, depth + 1]);
      if (isCstNode(item.value)) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}
