import { resolve, sep } from 'node:path';
import type { BatchSpec, RunOutput } from './types.js';

/** Leading `npx`/path-to-binary are kept as the command prefix; returns prefix length or -1. */
function commandLength(argv: string[], name: string): number {
  const base = (s: string | undefined): string => s?.slice(s.lastIndexOf('/') + 1) ?? '';
  if (base(argv[0]) === name) return 1;
  if (argv[0] === 'npx' && base(argv[1]) === name) return 2;
  return -1;
}

/** Splits options from file operands; refuses globs and anything in `refuse`. */
function splitOperands(argv: string[], start: number, takesValue: Set<string>, refuse: (opt: string) => boolean): { fixed: string[]; files: string[] } | undefined {
  const fixed = argv.slice(0, start);
  const files: string[] = [];
  for (let i = start; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('-')) {
      if (refuse(a)) return undefined;
      fixed.push(a);
      if (takesValue.has(a) && i + 1 < argv.length) fixed.push(argv[++i] ?? '');
    } else {
      if (/[*?[\]{}]/.test(a)) return undefined;
      files.push(a);
    }
  }
  return files.length === 0 ? undefined : { fixed, files };
}

function covers(cwd: string, operand: string, file: string): boolean {
  const abs = resolve(cwd, operand);
  return file === abs || file.startsWith(abs + sep);
}

const ESLINT_VALUE = new Set(['-f', '--format', '-c', '--config', '--ext', '--rule', '--parser', '--plugin', '--ignore-pattern', '--max-warnings', '-o', '--output-file', '--cache-location', '--env', '--global', '--parser-options', '--rulesdir', '--resolve-plugins-relative-to', '--cache-strategy', '--report-unused-disable-directives-severity', '--flag']);

interface EslintFileResult {
  filePath: string;
  errorCount?: number;
  fatalErrorCount?: number;
  messages?: unknown[];
}

/** eslint with `--format json`: one process, per-file results attributed by filePath. */
export const eslintBatch: BatchSpec = {
  tool: 'eslint',
  maxFiles: 200,
  split(argv) {
    const start = commandLength(argv, 'eslint');
    if (start < 0) return undefined;
    const formatIdx = argv.findIndex((a) => a === '-f' || a === '--format');
    const json = argv.includes('--format=json') || (formatIdx >= 0 && argv[formatIdx + 1] === 'json');
    if (!json) return undefined; // only JSON can be split back per file
    return splitOperands(argv, start, ESLINT_VALUE, (o) => /^(-o|--output-file|--stdin|--max-warnings|--init|--print-config|--env-info)/.test(o));
  },
  build: (fixed, files) => [...fixed, ...files],
  attribute(output, files, cwd) {
    if (output.exitCode !== 0 && output.exitCode !== 1) return undefined; // 2 = config error / crash
    let results: EslintFileResult[];
    try {
      results = JSON.parse(output.stdout) as EslintFileResult[];
      if (!Array.isArray(results)) return undefined;
    } catch {
      return undefined;
    }
    const out = new Map<string, RunOutput>();
    for (const f of files) {
      const mine = results.filter((r) => covers(cwd, f, r.filePath));
      const failed = mine.some((r) => (r.errorCount ?? 0) > 0 || (r.fatalErrorCount ?? 0) > 0);
      out.set(f, { exitCode: failed ? 1 : 0, stdout: JSON.stringify(mine), stderr: '' });
    }
    return out;
  },
  combine: (parts) => ({
    exitCode: Math.max(0, ...parts.map((p) => p.exitCode ?? 0)),
    stdout: JSON.stringify(parts.flatMap((p) => JSON.parse(p.stdout) as unknown[])),
    stderr: '',
  }),
};

const PRETTIER_VALUE = new Set(['--config', '--ignore-path', '--log-level', '--plugin', '--parser', '--cache-location', '--cache-strategy', '--end-of-line', '--print-width', '--tab-width', '--trailing-comma', '--quote-props', '--arrow-parens', '--prose-wrap', '--html-whitespace-sensitivity', '--embedded-language-formatting']);

/** prettier `--check` / `--list-different`: attributes `[warn] file` / listed files and `[error] file:` lines. */
export const prettierBatch: BatchSpec = {
  tool: 'prettier',
  maxFiles: 200,
  split(argv) {
    const start = commandLength(argv, 'prettier');
    if (start < 0 || !argv.some((a) => a === '--check' || a === '-c' || a === '--list-different' || a === '-l')) return undefined;
    return splitOperands(argv, start, PRETTIER_VALUE, (o) => o === '--write' || o === '-w' || o === '--stdin-filepath');
  },
  build: (fixed, files) => [...fixed, ...files],
  attribute(output, files, cwd) {
    const text = `${output.stdout}\n${output.stderr}`.split('\n').map((l) => l.trim());
    const flagged = text.map((l) => /^(?:\[warn\] )?(\S+)$/.exec(l)?.[1]).filter((f): f is string => f !== undefined && !f.startsWith('['));
    const errored = text.map((l) => /^\[error\] (\S+?): (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    if (output.exitCode === 2 && errored.length === 0) return undefined; // crashed, nothing to attribute
    const out = new Map<string, RunOutput>();
    for (const f of files) {
      const errs = errored.filter((m) => covers(cwd, f, resolve(cwd, m[1] ?? '')));
      const warns = flagged.filter((w) => covers(cwd, f, resolve(cwd, w)));
      const exitCode = errs.length > 0 ? 2 : warns.length > 0 ? 1 : 0;
      const stderr = [...errs.map((m) => m[0]), ...warns.map((w) => `[warn] ${w}`)].join('\n');
      out.set(f, { exitCode, stdout: '', stderr });
    }
    return out;
  },
};

export const DEFAULT_BATCH_SPECS: BatchSpec[] = [eslintBatch, prettierBatch];
