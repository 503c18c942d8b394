import type {
  Diagnostic,
  LineMachine,
  OutputParser,
  ParseResult,
  StreamEvent,
  StreamingParser,
  TestResult,
} from './types.js';

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function lines(output: string): string[] {
  const all = stripAnsi(output).split(/\r?\n/);
  if (all.at(-1) === '') all.pop();
  return all;
}

export function int(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** Aggregates events into a ParseResult; shared by batch parsing and streaming. */
export class Collector {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly tests: TestResult[] = [];

  add(events: StreamEvent[]): StreamEvent[] {
    for (const e of events) {
      if (e.kind === 'error') this.errors.push(e.diagnostic);
      else if (e.kind === 'warning') this.warnings.push(e.diagnostic);
      else if (e.kind === 'test') this.tests.push(e.test);
    }
    return events;
  }

  result(tool: string, machine: LineMachine | undefined, testTool: boolean): ParseResult {
    const result: ParseResult = { tool, errors: this.errors, warnings: this.warnings, summary: '' };
    if (testTool || this.tests.length > 0) result.tests = this.tests;
    Object.assign(result, machine?.extras?.() ?? {});
    result.summary = summarize(result, machine?.toolSummary());
    return result;
  }
}

function summarize(result: ParseResult, toolSummary?: string): string {
  const parts = [`${result.errors.length} error(s), ${result.warnings.length} warning(s)`];
  if (result.tests !== undefined) {
    const count = (s: TestResult['status']): number => result.tests?.filter((t) => t.status === s).length ?? 0;
    parts.push(`tests: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
  }
  if (toolSummary !== undefined) parts.push(toolSummary);
  return parts.join('; ');
}

export function streamingFrom(tool: string, machine: LineMachine, testTool: boolean): StreamingParser {
  const collector = new Collector();
  return {
    onLine: (line) => collector.add(machine.onLine(stripAnsi(line).replace(/\r$/, ''))),
    end: () => collector.add(machine.end()),
    hasFatalError: () => machine.fatal(),
    result: () => collector.result(tool, machine, testTool),
  };
}

/** An OutputParser whose batch parse is the line machine fed every line. */
export function lineParser(tool: string, make: () => LineMachine, options: { testTool?: boolean } = {}): OutputParser {
  const testTool = options.testTool === true;
  return {
    tool,
    stream: make,
    parse(output) {
      const s = streamingFrom(tool, make(), testTool);
      for (const line of lines(output)) s.onLine(line);
      s.end();
      return s.result();
    },
  };
}

export function diag(severity: Diagnostic['severity'], message: string, at: Partial<Diagnostic> = {}): StreamEvent {
  const diagnostic: Diagnostic = { message, severity };
  for (const [k, v] of Object.entries(at))
    if (v !== undefined) (diagnostic as unknown as Record<string, unknown>)[k] = v;
  return { kind: severity === 'error' ? 'error' : 'warning', diagnostic };
}

export function test(t: TestResult): StreamEvent {
  const clean: TestResult = { name: t.name, status: t.status };
  if (t.durationMs !== undefined) clean.durationMs = t.durationMs;
  if (t.message !== undefined) clean.message = t.message;
  if (t.file !== undefined) clean.file = t.file;
  return { kind: 'test', test: clean };
}

export function progress(message: string, percent?: number): StreamEvent {
  return percent === undefined ? { kind: 'progress', message } : { kind: 'progress', message, percent };
}

/** Base for simple machines: no state beyond fatal flag and summary line. */
export abstract class BaseMachine implements LineMachine {
  protected isFatal = false;
  protected summaryLine: string | undefined;
  abstract onLine(line: string): StreamEvent[];
  end(): StreamEvent[] {
    return [];
  }
  fatal(): boolean {
    return this.isFatal;
  }
  toolSummary(): string | undefined {
    return this.summaryLine;
  }
}
