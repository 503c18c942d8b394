import type { Diagnostic, StreamEvent } from './types.js';
import { BaseMachine, diag, int, lineParser, progress } from './util.js';

const PLAIN = /^(.+?)\((\d+),(\d+)\): (error|warning|message) (TS\d+): (.*)$/;
const PRETTY = /^(.+?):(\d+):(\d+) - (error|warning|message) (TS\d+): (.*)$/;
const GLOBAL = /^(error|warning) (TS\d+): (.*)$/;
const FOUND = /^Found (\d+) errors?\b.*$/;

/** tsc, plain (`file(l,c): error TSxxxx`) and `--pretty` (`file:l:c - error TSxxxx`) output. */
class TscMachine extends BaseMachine {
  private last: Diagnostic | undefined;

  onLine(line: string): StreamEvent[] {
    const m = PLAIN.exec(line) ?? PRETTY.exec(line);
    if (m !== null) {
      const event = diag(m[4] === 'error' ? 'error' : 'warning', m[6] ?? '', {
        file: m[1],
        line: int(m[2]),
        col: int(m[3]),
        rule: m[5],
      });
      return [this.emit(event)];
    }
    const g = GLOBAL.exec(line);
    if (g !== null) return [this.emit(diag(g[1] === 'error' ? 'error' : 'warning', g[3] ?? '', { rule: g[2] }))];
    const found = FOUND.exec(line);
    if (found !== null) {
      this.summaryLine = line;
      this.last = undefined;
      return [];
    }
    if (line.trim() === '') {
      this.last = undefined; // message elaboration ends at the first blank line (code frames follow)
    } else if (this.last !== undefined && /^\s+/.test(line)) {
      this.last.message += `\n${line.trim()}`;
    } else if (/Starting compilation|File change detected/.test(line)) {
      return [progress(line.trim())];
    }
    return [];
  }

  private emit(event: StreamEvent): StreamEvent {
    if (event.kind === 'error') this.isFatal = true;
    this.last = event.kind === 'error' || event.kind === 'warning' ? event.diagnostic : undefined;
    return event;
  }
}

export const tscParser = lineParser('tsc', () => new TscMachine());
