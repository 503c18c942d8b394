import type { Diagnostic, ExecResult, ParseResult, TestResult } from '@sylk/tools';

const MAX_ITEMS = 50;
const MAX_MESSAGE = 2000;

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

function diagnostic(d: Diagnostic): string {
  const at =
    d.file === undefined
      ? ''
      : `${d.file}${d.line === undefined ? '' : `:${d.line}`}${d.col === undefined ? '' : `:${d.col}`}: `;
  return `  ${at}${cut(d.message, MAX_MESSAGE)}${d.rule === undefined ? '' : ` [${d.rule}]`}`;
}

function failedTest(t: TestResult): string {
  const where = t.file === undefined ? '' : ` (${t.file})`;
  return `  ✗ ${t.name}${where}${t.message === undefined ? '' : `: ${cut(t.message, MAX_MESSAGE)}`}`;
}

function section(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  const shown = lines.slice(0, MAX_ITEMS);
  if (lines.length > MAX_ITEMS) shown.push(`  … ${lines.length - MAX_ITEMS} more`);
  return [`${title}:`, ...shown];
}

/** The model's view of a parsed result: the tool's summary, then what needs attention. */
export function formatParsed(parsed: ParseResult): string {
  const failed = (parsed.tests ?? []).filter((t) => t.status === 'fail');
  const extras: string[] = [];
  if (parsed.gitStatus !== undefined) extras.push(`git status: ${JSON.stringify(parsed.gitStatus)}`);
  if (parsed.diff !== undefined)
    extras.push(
      ...parsed.diff
        .slice(0, MAX_ITEMS)
        .map((f) => `  ${f.file} +${f.added} -${f.removed}${f.binary ? ' (binary)' : ''}`),
    );
  if (parsed.commits !== undefined)
    extras.push(
      ...parsed.commits
        .slice(0, MAX_ITEMS)
        .map((c) => `  ${c.hash.slice(0, 12)} ${cut(c.message.split('\n')[0] ?? '', 200)}`),
    );
  if (parsed.npm !== undefined)
    extras.push(
      `npm: ${parsed.npm.code ?? ''} ${parsed.npm.summary}${parsed.npm.package ? ` (${parsed.npm.package})` : ''}`,
    );
  if (parsed.coverage !== undefined) extras.push(`coverage: ${parsed.coverage}%`);
  return [
    `[${parsed.tool}] ${parsed.summary}`,
    ...section('Failed tests', failed.map(failedTest)),
    ...section('Errors', parsed.errors.map(diagnostic)),
    ...section('Warnings', parsed.warnings.map(diagnostic)),
    ...extras,
  ].join('\n');
}

/** How the process ended, in words the model acts on. */
export function exitLine(result: ExecResult): string {
  const parts: string[] = [];
  if (result.timedOut) parts.push(`timed out after ${Math.round(result.durationMs / 1000)} s`);
  else if (result.partial) parts.push(`stopped: ${result.partialReason ?? 'interrupted'}`);
  if (result.exitCode !== null) parts.push(`exit code ${result.exitCode}`);
  if (result.signal !== null) parts.push(`killed by ${result.signal}`);
  if (result.partial) parts.push('output is partial');
  const line = `[${parts.join('; ')}]`;
  return result.message === undefined ? line : `${line} ${result.message}`;
}

/** Failures the user is shown of a failed run (the output itself stays in the log). */
const SHOWN_FAILURES = 5;

/** A parsed run's first failed tests (else its first errors), one line each, for the user's view. */
export function failureLines(parsed: ParseResult): string[] {
  const tests = (parsed.tests ?? []).filter((t) => t.status === 'fail');
  const firstLine = (s: string | undefined) => (s === undefined ? '' : cut(s.split('\n')[0] ?? '', 300));
  const lines =
    tests.length > 0
      ? tests.map(
          (t) =>
            `✗ ${t.name}${t.file === undefined ? '' : ` (${t.file})`}${t.message ? `: ${firstLine(t.message)}` : ''}`,
        )
      : parsed.errors.map((d) => diagnostic(d).trim().split('\n')[0] ?? '');
  const more = lines.length - SHOWN_FAILURES;
  return [...lines.slice(0, SHOWN_FAILURES), ...(more > 0 ? [`… ${more} more`] : [])];
}
