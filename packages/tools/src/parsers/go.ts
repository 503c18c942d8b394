import type { StreamEvent, TestResult } from './types.js';
import { BaseMachine, diag, int, lineParser, progress, test } from './util.js';

const LOCATED = /^(?:vet: )?(\S+?\.go):(\d+)(?::(\d+))?: (.*)$/;
const PACKAGE = /^# (\S+)(?: \[.*\])?$/;
const RUN = /^=== (?:RUN|CONT|PAUSE)\s+(\S+)/;
const RESULT = /^\s*--- (PASS|FAIL|SKIP): (\S+) \(([\d.]+)s\)$/;
const PKG_OK = /^ok\s+(\S+)\s+(?:[\d.]+s|\(cached\))(?:\s+coverage: ([\d.]+)% of statements)?/;
const PKG_FAIL = /^FAIL\s+(\S+)(?:\s+[\d.]+s|\s+\[build failed\]|\s+\[setup failed\])?$/;
const COVERAGE = /coverage: ([\d.]+)% of statements/;

interface GoJsonEvent {
  Action?: string;
  Package?: string;
  Test?: string;
  Elapsed?: number;
  Output?: string;
}

/** go build / vet (`file:line:col: msg`) and go test, plain and `-json`. */
class GoMachine extends BaseMachine {
  private current: string | undefined;
  private output = new Map<string, string[]>();
  private coverage: number | undefined;
  private inTest = false;

  onLine(line: string): StreamEvent[] {
    if (line.startsWith('{')) {
      const event = parseJson(line);
      if (event !== undefined) return this.onJson(event);
    }
    return this.onText(line);
  }

  private onText(line: string): StreamEvent[] {
    const run = RUN.exec(line);
    if (run !== null) {
      this.current = run[1];
      this.inTest = true;
      return [];
    }
    const result = RESULT.exec(line);
    if (result !== null) {
      const name = result[2] ?? '';
      return [
        this.testEvent(
          name,
          result[1] === 'PASS' ? 'pass' : result[1] === 'FAIL' ? 'fail' : 'skip',
          Number(result[3]) * 1000,
        ),
      ];
    }
    const ok = PKG_OK.exec(line);
    if (ok !== null) {
      if (ok[2] !== undefined) this.coverage = Number(ok[2]);
      this.summaryLine = this.summaryLine === undefined ? line.trim() : `${this.summaryLine}; ${line.trim()}`;
      return [progress(line.trim())];
    }
    const fail = PKG_FAIL.exec(line);
    if (fail !== null) {
      this.summaryLine = this.summaryLine === undefined ? line.trim() : `${this.summaryLine}; ${line.trim()}`;
      return [];
    }
    const pkg = PACKAGE.exec(line);
    if (pkg !== null) return [progress(`package ${pkg[1]}`)];
    if (/^panic: /.test(line)) {
      this.isFatal = true;
      return [diag('error', line.trim())];
    }
    const loc = LOCATED.exec(line);
    if (loc !== null && !(this.inTest && /^\s/.test(line))) {
      this.isFatal = true; // a compile or vet error: nothing useful follows
      return [diag('error', loc[4] ?? '', { file: loc[1], line: int(loc[2]), col: int(loc[3]) })];
    }
    if (this.current !== undefined && /^\s+\S/.test(line)) this.appendOutput(this.current, line);
    const cov = COVERAGE.exec(line);
    if (cov !== null) this.coverage = Number(cov[1]);
    return [];
  }

  private onJson(e: GoJsonEvent): StreamEvent[] {
    if (e.Action === 'output' && e.Output !== undefined) {
      const cov = COVERAGE.exec(e.Output);
      if (cov !== null) this.coverage = Number(cov[1]);
      if (e.Test !== undefined) this.appendOutput(e.Test, e.Output.replace(/\n$/, ''));
      return [];
    }
    if (e.Action === 'build-output' && e.Output !== undefined) return this.onText(e.Output.replace(/\n$/, ''));
    if (e.Test !== undefined && (e.Action === 'pass' || e.Action === 'fail' || e.Action === 'skip')) {
      return [this.testEvent(e.Test, e.Action, (e.Elapsed ?? 0) * 1000)];
    }
    if (e.Test === undefined && (e.Action === 'pass' || e.Action === 'fail')) {
      this.summaryLine = `${e.Action === 'pass' ? 'ok' : 'FAIL'} ${e.Package ?? ''}`.trim();
    }
    return [];
  }

  private appendOutput(name: string, line: string): void {
    const out = this.output.get(name) ?? [];
    out.push(line.trim());
    this.output.set(name, out);
  }

  private testEvent(name: string, status: TestResult['status'], durationMs: number): StreamEvent {
    const out = (this.output.get(name) ?? []).filter((l) => !/^(=== |--- |PASS$|FAIL$)/.test(l));
    this.output.delete(name);
    const message = status === 'fail' ? (out.find((l) => /\.go:\d+:/.test(l)) ?? out[0]) : undefined;
    return test({ name, status, durationMs: Math.round(durationMs * 1000) / 1000, message });
  }

  extras(): { coverage?: number } {
    return this.coverage === undefined ? {} : { coverage: this.coverage };
  }
}

function parseJson(line: string): GoJsonEvent | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && 'Action' in value ? (value as GoJsonEvent) : undefined;
  } catch {
    return undefined;
  }
}

export const goBuildParser = lineParser('go build', () => new GoMachine());
export const goTestParser = lineParser('go test', () => new GoMachine(), { testTool: true });
