import type { LineMachine, StreamEvent } from './types.js';
import { BaseMachine, diag, int } from './util.js';

const LOCATED =
  /^(?<file>[^\s:()]+?):(?<line>\d+)(?::(?<col>\d+))?:?\s*(?:(?<sev>error|warning|fatal error|note)(?:\[(?<rule>[^\]]+)\])?:?\s*)?(?<msg>.+)$/i;
const BARE = /^(?<sev>error|warning|fatal)(?:\[(?<rule>[^\]]+)\])?:\s*(?<msg>.+)$/i;

/** Fallback for unknown tools: `file:line[:col]: [error|warning:] message` and `error: message`. */
class GenericMachine extends BaseMachine {
  onLine(line: string): StreamEvent[] {
    const m = LOCATED.exec(line.trim()) ?? BARE.exec(line.trim());
    const g = m?.groups;
    if (g === undefined || g.msg === undefined) return [];
    const sev = g.sev?.toLowerCase();
    if (sev === 'note' || (sev === undefined && g.line === undefined)) return [];
    const severity = sev === 'warning' ? 'warning' : 'error';
    if (sev?.startsWith('fatal') === true) this.isFatal = true;
    return [diag(severity, g.msg, { file: g.file, line: int(g.line), col: int(g.col), rule: g.rule })];
  }
}

export const genericMachine = (): LineMachine => new GenericMachine();
