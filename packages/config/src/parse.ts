import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { errorMessage } from '@sylk/core';
import type { ConfigWarning } from './types.js';

export interface ParsedLayer {
  /** Whether the file exists. */
  present: boolean;
  /** The parsed document; undefined when missing, unreadable or unparsable. */
  data: unknown;
  warnings: ConfigWarning[];
}

/** Parse YAML (JSON is a subset). A syntax error skips the whole text with one warning. */
export function parseConfigText(text: string, file: string): ParsedLayer {
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
    return { present: true, data: undefined, warnings: [{ file, path: '', reason: `${errorMessage(err)}; file ignored` }] };
  }
}

/** Read and parse one config file; a missing file is simply absent. */
export function readConfigFile(path: string): ParsedLayer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { present: false, data: undefined, warnings: [] };
    return { present: true, data: undefined, warnings: [{ file: path, path: '', reason: `cannot read: ${errorMessage(err)}; file ignored` }] };
  }
  return parseConfigText(text, path);
}
