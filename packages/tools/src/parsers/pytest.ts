import type { Diagnostic, StreamEvent, TestResult } from './types.js';
import { BaseMachine, diag, int, lineParser, progress, test } from './util.js';

const VERBOSE = /^(\S+::\S.*?)\s+(PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)(?:\s+\((.*?)\))?\s*(?:\[\s*(\d+)%\])?$/;
const DOTS = /^(\S+\.py) ([.FsExX]+)\s*(?:\[\s*(\d+)%\])?$/;
const SHORT = /^(FAILED|ERROR) (\S+)(?: - (.*))?$/;
const FINAL = /^=+ (.*\b(?:passed|failed|errors?|skipped|deselected|no tests ran)\b.*?) =+$/;
const SECTION = /^_{3,} (.+?) _{3,}$/;
const LOCATION = /^(\S+\.py):(\d+): (\w+)$/;
const COLLECT = /^_+ ERROR collecting (\S+) _+$/;

function statusOf(word: string): TestResult['status'] {
  if (word === 'PASSED' || word === 'XFAIL') return 'pass';
  if (word === 'SKIPPED') return 'skip';
  return 'fail';
}

/** pytest default (dots) and `-v` output, failure sections and the short summary. */
class PytestMachine extends BaseMachine {
  private tests = new Map<string, TestResult>();
  private section: TestResult | Diagnostic | undefined;

  onLine(line: string): StreamEvent[] {
    const v = VERBOSE.exec(line);
    if (v !== null) {
      const events = [this.record(v[1] ?? '', statusOf(v[2] ?? ''), v[2] === 'SKIPPED' ? v[3] : undefined)];
      if (v[4] !== undefined) events.push(progress(line.trim(), Number(v[4])));
      return events.filter((e): e is StreamEvent => e !== undefined);
    }
    const dots = DOTS.exec(line);
    if (dots !== null) return [progress(line.trim(), dots[3] === undefined ? undefined : Number(dots[3]))];
    const collect = COLLECT.exec(line);
    if (collect !== null) {
      this.isFatal = true;
      const event = diag('error', `collection error in ${collect[1]}`, { file: collect[1], rule: 'collection' });
      this.section = event.kind === 'error' ? event.diagnostic : undefined;
      return [event];
    }
    const short = SHORT.exec(line);
    if (short !== null) {
      const event = this.record(short[2] ?? '', 'fail', short[3]);
      return event === undefined ? [] : [event];
    }
    const final = FINAL.exec(line);
    if (final !== null) {
      this.summaryLine = final[1];
      return [];
    }
    if (/^!+ Interrupted: .*during collection/.test(line)) this.isFatal = true;
    this.detail(line);
    return [];
  }

  private detail(line: string): void {
    const section = SECTION.exec(line);
    if (section !== null) {
      const name = section[1]?.replace(/^ERROR at \w+ of /, '') ?? '';
      this.section = [...this.tests.values()].find((t) => t.name.endsWith(`::${name}`)) ?? this.pendingByName(name);
      return;
    }
    const s = this.section;
    if (s === undefined) return;
    const loc = LOCATION.exec(line);
    if (loc !== null && 'status' in s) s.file ??= `${loc[1]}:${loc[2]}`;
    const e = /^E\s+(.*)$/.exec(line);
    if (e !== null && e[1] !== undefined) {
      if ('status' in s) s.message ??= e[1];
      else if (!s.message.includes(': ')) s.message = `${s.message}: ${e[1]}`;
    }
    if (loc !== null && !('status' in s)) s.line = int(loc[2]);
  }

  /** Dots mode names failures only later (short summary): keep a placeholder to fill. */
  private pendingByName(name: string): TestResult {
    const t: TestResult = { name, status: 'fail' };
    this.tests.set(`pending:${name}`, t);
    return t;
  }

  private record(name: string, status: TestResult['status'], message: string | undefined): StreamEvent | undefined {
    const existing = this.tests.get(name);
    if (existing !== undefined) {
      existing.message ??= message;
      return undefined;
    }
    const short = name.split('::').at(-1) ?? name;
    const pending = this.tests.get(`pending:${short}`);
    const event = test({
      name,
      status,
      message: message ?? pending?.message,
      file: pending?.file ?? name.split('::')[0],
    });
    if (event.kind === 'test') {
      this.tests.delete(`pending:${short}`);
      this.tests.set(name, event.test);
    }
    return event;
  }
}

export const pytestParser = lineParser('pytest', () => new PytestMachine(), { testTool: true });
