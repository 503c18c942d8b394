import type { LineMachine, OutputParser, StreamEvent, TestResult } from './types.js';
import { BaseMachine, diag, lineParser, progress, stripAnsi, test } from './util.js';

// ---- vitest / jest -----------------------------------------------------------------------

const TEST_LINE = /^\s*(✓|√|✔|×|✕|✗|↓|○)\s+(.+?)(?:\s+\((\d+(?:\.\d+)?)\s*ms\)|\s+(\d+(?:\.\d+)?)\s*ms)?$/;
const FILE_LINE = /^\s*(?:✓|❯|×)\s+(\S+)\s+\(\d+ tests?\b.*$/;
const JEST_FILE = /^\s*(PASS|FAIL)\s+(\S+)\s*(?:\(.*\))?$/;
const VITEST_FAIL_HEADER = /^\s*FAIL\s+(\S+) > (.+)$/;
const JEST_FAIL_HEADER = /^\s*● (.+ › .+|[^›]+)$/;
const SUMMARY = /^\s*Tests:?\s+(.*\d.*)$/;

function statusOf(mark: string): TestResult['status'] {
  if (mark === '✓' || mark === '√' || mark === '✔') return 'pass';
  if (mark === '↓' || mark === '○') return 'skip';
  return 'fail';
}

/** Default reporters of vitest and jest: per-test marks, failure sections, the Tests summary. */
class JsTestMachine extends BaseMachine {
  private file: string | undefined;
  private failures = new Map<string, TestResult>();
  private awaitingMessage: TestResult | undefined;

  onLine(line: string): StreamEvent[] {
    if (this.awaitingMessage !== undefined && line.trim() !== '') {
      this.awaitingMessage.message ??= line.trim();
      this.awaitingMessage = undefined;
      return [];
    }
    const file = FILE_LINE.exec(line);
    if (file !== null) {
      this.file = file[1];
      return [progress(line.trim())];
    }
    const jestFile = JEST_FILE.exec(line);
    if (jestFile !== null) {
      this.file = jestFile[2];
      return [progress(line.trim())];
    }
    const header = VITEST_FAIL_HEADER.exec(line) ?? JEST_FAIL_HEADER.exec(line);
    if (header !== null) {
      const path = (header[2] ?? header[1] ?? '').split(/ > | › /);
      const failed = this.failures.get(path.at(-1)?.trim() ?? '');
      if (failed !== undefined) this.awaitingMessage = failed;
      else if (/Test suite failed to run/.test(line)) this.isFatal = true;
      return [];
    }
    const summary = SUMMARY.exec(line);
    if (summary !== null) {
      this.summaryLine = `Tests ${summary[1]?.trim()}`;
      return [];
    }
    const t = TEST_LINE.exec(line);
    if (t === null) return [];
    const duration = t[3] ?? t[4];
    const event = test({
      name: t[2] ?? '',
      status: statusOf(t[1] ?? ''),
      durationMs: duration === undefined ? undefined : Number(duration),
      file: this.file,
    });
    if (event.kind === 'test' && event.test.status === 'fail') this.failures.set(event.test.name, event.test);
    return [event];
  }
}

interface JestAssertion {
  fullName?: string;
  title?: string;
  status?: string;
  duration?: number | null;
  failureMessages?: string[];
}

interface JestFileResult {
  name?: string;
  status?: string;
  message?: string;
  assertionResults?: JestAssertion[];
}

/** vitest `--reporter=json` / jest `--json`: the jest-compatible aggregated report. */
function parseJestJson(output: string): StreamEvent[] | undefined {
  const text = stripAnsi(output);
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  let data: { testResults?: JestFileResult[] };
  try {
    data = JSON.parse(text.slice(start, end + 1)) as { testResults?: JestFileResult[] };
  } catch {
    return undefined;
  }
  if (!Array.isArray(data.testResults)) return undefined;
  const events: StreamEvent[] = [];
  for (const file of data.testResults) {
    const assertions = file.assertionResults ?? [];
    if (assertions.length === 0 && file.status === 'failed') {
      events.push(diag('error', firstLine(file.message) ?? 'test file failed', { file: file.name }));
    }
    for (const a of assertions) {
      const status: TestResult['status'] = a.status === 'passed' ? 'pass' : a.status === 'failed' ? 'fail' : 'skip';
      events.push(
        test({
          name: a.fullName ?? a.title ?? '',
          status,
          durationMs: a.duration ?? undefined,
          message: firstLine(a.failureMessages?.[0]),
          file: file.name,
        }),
      );
    }
  }
  return events;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n').find((l) => l.trim() !== '');
  return line?.trim();
}

/** Text reporters line by line; a JSON report (starts with `{`) is buffered and parsed at the end. */
class JsTestsMachine implements LineMachine {
  private readonly text = new JsTestMachine();
  private json: string[] | undefined;
  private jsonFatal = false;

  onLine(line: string): StreamEvent[] {
    if (this.json !== undefined || /^\s*\{"num/.test(line)) {
      (this.json ??= []).push(line);
      return [];
    }
    return this.text.onLine(line);
  }
  end(): StreamEvent[] {
    if (this.json === undefined) return [];
    const events = parseJestJson(this.json.join('\n')) ?? [];
    this.jsonFatal = events.some((e) => e.kind === 'error');
    return events;
  }
  fatal(): boolean {
    return this.jsonFatal || this.text.fatal();
  }
  toolSummary(): string | undefined {
    return this.text.toolSummary();
  }
}

export const vitestParser: OutputParser = lineParser('vitest', () => new JsTestsMachine(), { testTool: true });
export const jestParser: OutputParser = lineParser('jest', () => new JsTestsMachine(), { testTool: true });

// ---- node --test (TAP and spec reporters) --------------------------------------------------

const TAP_RESULT = /^(\s*)(ok|not ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/;
const TAP_DURATION = /^\s+duration_ms: ([\d.]+)/;
const TAP_LOCATION = /^\s+location: '(.+?):(\d+):(\d+)'/;
const TAP_ERROR = /^\s+error: (?:\|-?|>-?)?\s*(.*)$/;
const TAP_COUNT = /^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/;
const SPEC_RESULT = /^(\s*)(✔|✖|﹣|-)\s+(.*?)\s+\(([\d.]+)ms\)(?:\s+#\s*(.*))?$/;
const SPEC_COUNT = /^ℹ (tests|pass|fail|skipped|todo|cancelled) (\d+)$/;
const SPEC_FAILURE_AT = /^test at (.+?):(\d+):(\d+)$/;

class NodeTestMachine extends BaseMachine {
  private last: TestResult | undefined;
  private errorBlock = false;
  private specFailure = false;
  /** In the spec reporter's closing "failing tests" section (Node 23+ prints errors only there). */
  private failureSummary = false;
  private failed: TestResult[] = [];
  private pendingFile: string | undefined;
  private counts: string[] = [];

  onLine(line: string): StreamEvent[] {
    if (this.failureSummary) {
      this.summaryDetail(line);
      return [];
    }
    if (/^✖ failing tests:/.test(line)) {
      this.failureSummary = true;
      this.last = undefined;
      return [];
    }
    const tap = TAP_RESULT.exec(line);
    if (tap !== null) {
      const status: TestResult['status'] = tap[4] !== undefined ? 'skip' : tap[2] === 'ok' ? 'pass' : 'fail';
      return [this.emit({ name: tap[3] ?? '', status })];
    }
    const spec = SPEC_RESULT.exec(line);
    if (spec !== null) {
      const mark = spec[2];
      const status: TestResult['status'] = mark === '✔' ? 'pass' : mark === '✖' ? 'fail' : 'skip';
      const event = this.emit({ name: spec[3] ?? '', status, durationMs: Number(spec[4]) });
      this.specFailure = status === 'fail';
      return [event];
    }
    const count = TAP_COUNT.exec(line) ?? SPEC_COUNT.exec(line);
    if (count !== null) {
      this.counts.push(`${count[1]} ${count[2]}`);
      this.summaryLine = this.counts.join(', ');
      return [];
    }
    this.detail(line);
    return [];
  }

  private detail(line: string): void {
    const last = this.last;
    if (last === undefined) return;
    if (this.specFailure && line.trim() !== '') {
      last.message ??= line.trim();
      this.specFailure = false;
      return;
    }
    const duration = TAP_DURATION.exec(line);
    if (duration !== null) last.durationMs = Number(duration[1]);
    const location = TAP_LOCATION.exec(line);
    if (location !== null) last.file = location[1];
    if (this.errorBlock && line.trim() !== '') {
      last.message ??= line.trim();
      this.errorBlock = false;
    }
    const error = TAP_ERROR.exec(line);
    if (error !== null) {
      if (error[1] !== undefined && error[1] !== '') last.message ??= error[1];
      else this.errorBlock = true;
    }
  }

  /**
   * The summary repeats each failure as `test at FILE:L:C`, its `✖` line and its error; the
   * result was emitted already, so the summary only fills in its file and message.
   */
  private summaryDetail(line: string): void {
    const at = SPEC_FAILURE_AT.exec(line.trim());
    if (at !== null) {
      this.pendingFile = at[1];
      return;
    }
    const spec = SPEC_RESULT.exec(line);
    if (spec !== null && spec[2] === '✖') {
      const name = spec[3] ?? '';
      const matches = this.failed.filter((t) => t.name === name);
      this.last = matches.find((t) => t.message === undefined) ?? matches[0];
      if (this.last !== undefined && this.pendingFile !== undefined) this.last.file ??= this.pendingFile;
      this.pendingFile = undefined;
      this.specFailure = this.last !== undefined;
      return;
    }
    this.detail(line);
  }

  private emit(t: TestResult): StreamEvent {
    const event = test(t);
    if (event.kind === 'test') {
      this.last = event.test;
      if (event.test.status === 'fail') this.failed.push(event.test);
    }
    this.errorBlock = false;
    return event;
  }
}

export const nodeTestParser = lineParser('node --test', () => new NodeTestMachine(), { testTool: true });
