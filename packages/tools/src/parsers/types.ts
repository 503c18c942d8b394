type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  file?: string;
  line?: number;
  col?: number;
  message: string;
  severity: Severity;
  /** Rule or code: eslint rule id, TS2322, E0425, npm error code. */
  rule?: string;
}

export interface TestResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  durationMs?: number;
  message?: string;
  file?: string;
}

export interface GitFileChange {
  path: string;
  status: 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'typechange' | 'unmerged';
  from?: string;
}

export interface GitStatus {
  branch?: string;
  staged: GitFileChange[];
  unstaged: GitFileChange[];
  untracked: string[];
}

export interface DiffFile {
  file: string;
  added: number;
  removed: number;
  binary?: boolean;
}

export interface Commit {
  hash: string;
  author?: string;
  email?: string;
  date?: string;
  message: string;
}

export interface NpmFailure {
  code?: string;
  summary: string;
  package?: string;
}

export interface ParseResult {
  tool: string;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  tests?: TestResult[];
  /** go test coverage percentage, when reported. */
  coverage?: number;
  gitStatus?: GitStatus;
  diff?: DiffFile[];
  commits?: Commit[];
  npm?: NpmFailure;
  summary: string;
}

export type StreamEvent =
  | { kind: 'error' | 'warning'; diagnostic: Diagnostic }
  | { kind: 'test'; test: TestResult }
  | { kind: 'progress'; message: string; percent?: number };

export interface ParseContext {
  exitCode?: number | null;
}

/**
 * Line-at-a-time state machine. Objects it already emitted may still be completed by later
 * lines (continuation text, locations); `parse` sees the completed objects.
 */
export interface LineMachine {
  onLine(line: string): StreamEvent[];
  end(): StreamEvent[];
  fatal(): boolean;
  /** The tool's own summary line, when it printed one. */
  toolSummary(): string | undefined;
  /** Extra structured fields (git, npm) once all lines are in. */
  extras?(): Partial<ParseResult>;
}

export interface OutputParser {
  tool: string;
  parse(output: string, context?: ParseContext): ParseResult;
  /** A fresh line machine; parsers without one stream through the generic machine. */
  stream?(): LineMachine;
}

export interface StreamingParser {
  onLine(line: string): StreamEvent[];
  end(): StreamEvent[];
  hasFatalError(): boolean;
  /** Everything seen so far, aggregated. */
  result(): ParseResult;
}
