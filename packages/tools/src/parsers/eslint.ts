import type { Diagnostic, LineMachine, OutputParser, ParseResult, StreamEvent } from './types.js';
import { Collector, diag, int, lines, stripAnsi } from './util.js';

const STYLISH_MESSAGE = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*?)(?:\s{2,}(\S+))?$/;
const STYLISH_SUMMARY = /^[✖×]\s+\d+ problems?.*$/;

interface EslintJsonMessage {
  ruleId?: string | null;
  severity?: number;
  message?: string;
  line?: number;
  column?: number;
  fatal?: boolean;
}

interface EslintJsonFile {
  filePath?: string;
  messages?: EslintJsonMessage[];
}

/** eslint `--format json` output → diagnostics; undefined when the text is not that format. */
function parseEslintJson(output: string): StreamEvent[] | undefined {
  const text = stripAnsi(output).trim();
  const start = text.indexOf('[');
  if (start < 0) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
  if (!Array.isArray(data)) return undefined;
  const events: StreamEvent[] = [];
  for (const file of data as EslintJsonFile[]) {
    for (const m of file.messages ?? []) {
      const severity: Diagnostic['severity'] = m.fatal === true || m.severity === 2 ? 'error' : 'warning';
      events.push(
        diag(severity, m.message ?? '', {
          file: file.filePath,
          line: m.line,
          col: m.column,
          rule: m.ruleId ?? undefined,
        }),
      );
    }
  }
  return events;
}

/** Stylish (default) format line by line; a JSON report is buffered and parsed at the end. */
class EslintMachine implements LineMachine {
  private file: string | undefined;
  private json: string[] | undefined;
  private summary: string | undefined;
  private sawError = false;

  onLine(line: string): StreamEvent[] {
    if (this.json !== undefined || (this.file === undefined && /^\s*\[/.test(line))) {
      (this.json ??= []).push(line);
      return [];
    }
    const m = STYLISH_MESSAGE.exec(line);
    if (m !== null) {
      const severity = m[3] === 'error' ? 'error' : 'warning';
      if (severity === 'error') this.sawError = true;
      return [diag(severity, m[4] ?? '', { file: this.file, line: int(m[1]), col: int(m[2]), rule: m[5] })];
    }
    if (STYLISH_SUMMARY.test(line.trim())) this.summary = line.trim();
    else if (line.trim() !== '' && !/^\s/.test(line) && !/^\d+ (error|warning)/.test(line)) this.file = line.trim();
    return [];
  }

  end(): StreamEvent[] {
    if (this.json === undefined) return [];
    const events = parseEslintJson(this.json.join('\n')) ?? [];
    this.sawError = events.some((e) => e.kind === 'error');
    return events;
  }

  fatal(): boolean {
    return this.sawError;
  }

  toolSummary(): string | undefined {
    return this.summary;
  }
}

export const eslintParser: OutputParser = {
  tool: 'eslint',
  stream: () => new EslintMachine(),
  parse(output): ParseResult {
    const collector = new Collector();
    const machine = new EslintMachine();
    for (const line of lines(output)) collector.add(machine.onLine(line));
    collector.add(machine.end());
    return collector.result('eslint', machine, false);
  },
};
