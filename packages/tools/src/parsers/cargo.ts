import type { Diagnostic, StreamEvent, TestResult } from './types.js';
import { BaseMachine, diag, int, lineParser, progress, test } from './util.js';

const HEADER = /^(error|warning)(?:\[(E\d+|[a-z_:]+)\])?: (.*)$/;
const ARROW = /^\s*--> (.+?):(\d+):(\d+)$/;
const SUMMARY_MSG =
  /^(could not compile|aborting due to|test failed, to rerun|`.+` \(.+\) generated \d+ warnings?|build failed)/;
const TEST = /^test (\S+) \.\.\. (ok|FAILED|ignored)(?:, .*)?$/;
const RESULT = /^test result: (ok|FAILED)\. (.*)$/;
const STDOUT = /^---- (\S+) stdout ----$/;
const PANIC = /panicked at (.+?):(\d+):(\d+):$/;
const PROGRESS = /^\s*(Compiling|Checking|Finished|Running|Doc-tests|Downloaded|Updating)\b(.*)$/;

/** cargo build/check/test: rustc diagnostics (header + `-->` location) and libtest lines. */
class CargoMachine extends BaseMachine {
  private pending: StreamEvent | undefined;
  private tests = new Map<string, TestResult>();
  private failing: TestResult | undefined;
  private expectPanicMessage = false;

  onLine(line: string): StreamEvent[] {
    const out: StreamEvent[] = [];
    const arrow = ARROW.exec(line);
    if (arrow !== null && this.pending !== undefined) {
      const d = (this.pending as { diagnostic: Diagnostic }).diagnostic;
      d.file = arrow[1];
      d.line = int(arrow[2]);
      d.col = int(arrow[3]);
      return this.flush();
    }
    const header = HEADER.exec(line);
    if (header !== null) {
      out.push(...this.flush());
      const message = header[3] ?? '';
      if (SUMMARY_MSG.test(message)) {
        this.summaryLine = this.summaryLine ?? line.trim();
        if (header[1] === 'error') this.isFatal = true;
        return out;
      }
      this.pending = diag(header[1] === 'error' ? 'error' : 'warning', message, { rule: header[2] });
      if (header[1] === 'error') this.isFatal = true;
      return out;
    }
    if (line.trim() === '') out.push(...this.flush());
    out.push(...this.testLine(line));
    const p = PROGRESS.exec(line);
    if (p !== null) out.push(progress(line.trim()));
    return out;
  }

  private testLine(line: string): StreamEvent[] {
    const t = TEST.exec(line);
    if (t !== null) {
      const event = test({ name: t[1] ?? '', status: t[2] === 'ok' ? 'pass' : t[2] === 'FAILED' ? 'fail' : 'skip' });
      if (event.kind === 'test') this.tests.set(event.test.name, event.test);
      return [event];
    }
    const r = RESULT.exec(line);
    if (r !== null) this.summaryLine = `test result: ${r[1]}. ${r[2]}`;
    const s = STDOUT.exec(line);
    if (s !== null) this.failing = this.tests.get(s[1] ?? '');
    const panic = PANIC.exec(line);
    if (panic !== null && this.failing !== undefined) {
      this.failing.file = `${panic[1]}:${panic[2]}:${panic[3]}`;
      this.expectPanicMessage = true;
    } else if (this.expectPanicMessage && this.failing !== undefined && line.trim() !== '') {
      this.failing.message ??= line.trim();
      this.expectPanicMessage = false;
    }
    return [];
  }

  private flush(): StreamEvent[] {
    const p = this.pending;
    this.pending = undefined;
    return p === undefined ? [] : [p];
  }

  override end(): StreamEvent[] {
    return this.flush();
  }
}

export const cargoBuildParser = lineParser('cargo build', () => new CargoMachine());
export const cargoTestParser = lineParser('cargo test', () => new CargoMachine(), { testTool: true });
