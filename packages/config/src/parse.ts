import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { errorMessage } from '@sylk/core';
import { checkYamlBounds, YAML_LIMITS } from './bounds.js';
import type { ConfigWarning } from './types.js';

export interface ParsedLayer {
  /** Whether the file exists. */
  present: boolean;
  /** The parsed document; undefined when missing, unreadable or unparsable. */
  data: unknown;
  warnings: ConfigWarning[];
}

/**
 * Parse YAML (JSON is a subset). A syntax error skips the whole text with one warning. Text over
 * the size, depth or alias limits (bounds.ts) never reaches the parser: parsing it can abort V8.
 */
export function parseConfigText(text: string, file: string): ParsedLayer {
  const problem = checkYamlBounds(text);
  if (problem !== undefined) {
    const reason = `rejected before parsing at line ${problem.line}, column ${problem.col}: ${problem.reason}; file ignored`;
    return { present: true, data: undefined, warnings: [{ file, path: '', reason }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const error = doc.errors[0];
  if (error !== undefined) {
    const at = lines.linePos(error.pos[0]);
    const where = ` at line ${at.line}, column ${at.col}`;
    const reason = `not valid YAML${where}: ${error.message.split('\n')[0] ?? error.code}; file ignored`;
    return { present: true, data: undefined, warnings: [{ file, path: '', reason }] };
  }
  try {
    return { present: true, data: doc.toJS({ maxAliasCount: 100 }), warnings: [] };
  } catch (err) {
    return {
      present: true,
      data: undefined,
      warnings: [{ file, path: '', reason: `${errorMessage(err)}; file ignored` }],
    };
  }
}

/** Read and parse one config file; a missing file is simply absent. */
export function readConfigFile(path: string): ParsedLayer {
  let text: string;
  try {
    // Checked before reading so a huge (or endless) file is never loaded into memory.
    const size = statSync(path).size;
    if (size > YAML_LIMITS.maxBytes) {
      const reason = `${size} bytes is larger than the ${YAML_LIMITS.maxBytes}-byte limit for a config file; file ignored`;
      return { present: true, data: undefined, warnings: [{ file: path, path: '', reason }] };
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { present: false, data: undefined, warnings: [] };
    return {
      present: true,
      data: undefined,
      warnings: [{ file: path, path: '', reason: `cannot read: ${errorMessage(err)}; file ignored` }],
    };
  }
  return parseConfigText(text, path);
}
