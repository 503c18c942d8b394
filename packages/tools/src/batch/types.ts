export interface RunOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The process runner, injected (the executor's `run` adapts to this). */
export type RunCommand = (argv: string[], opts: { cwd: string; signal?: AbortSignal }) => Promise<RunOutput>;

export interface BatchSpec {
  tool: string;
  maxFiles: number;
  /** Fixed args + file operands, or undefined when this invocation must run on its own. */
  split(argv: string[]): { fixed: string[]; files: string[] } | undefined;
  build(fixed: string[], files: string[]): string[];
  /** Each caller's share of the batch output, keyed by file operand; undefined = unattributable. */
  attribute(output: RunOutput, files: string[], cwd: string): Map<string, RunOutput> | undefined;
  /** Joins one caller's per-file outputs (default: concatenate text, highest exit code). */
  combine?(parts: RunOutput[]): RunOutput;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
