import { EXIT, CliError } from './exit-codes.js';

export interface GlobalOptions {
  json: boolean;
  socket?: string;
  color: boolean;
  verbose: boolean;
  profile?: string;
  autostart: boolean;
}

/** Colour only for a TTY, and never with NO_COLOR / --no-color (FORCE_COLOR wins over TTY detection). */
export function useColor(opts: Pick<GlobalOptions, 'color'>, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (!opts.color || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const identity = (s: string) => s;

export function style(enabled: boolean): Style {
  return enabled
    ? {
        bold: wrap(1, 22),
        dim: wrap(2, 22),
        green: wrap(32, 39),
        yellow: wrap(33, 39),
        red: wrap(31, 39),
        cyan: wrap(36, 39),
      }
    : { bold: identity, dim: identity, green: identity, yellow: identity, red: identity, cyan: identity };
}

/** Print a result: the JSON shape with --json, else the human rendering. */
/** Prints the JSON shape with --json, else the human text. `json` may be a function: built only when printed. */
export function emit(opts: GlobalOptions, json: unknown, human: () => string): void {
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify(typeof json === 'function' ? (json as () => unknown)() : json, jsonReplacer)}\n`,
    );
  else {
    const text = human();
    if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** bigint (int64/uint64 proto fields) as numbers in JSON output. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

export function reportError(err: unknown, opts: Pick<GlobalOptions, 'json'>, s: Style): number {
  const e = err as { message?: string; hint?: string; code?: string; exitCode?: number };
  // A daemon of another protocol refuses every call (see @sylk/proto/handshake): exit 4, as documented.
  const exitCode =
    err instanceof CliError
      ? err.exitCode
      : typeof e.exitCode === 'number'
        ? e.exitCode
        : e.code === 'version_mismatch'
          ? EXIT.versionMismatch
          : EXIT.failure;
  const message = e.message ?? String(err);
  if (opts.json) {
    process.stderr.write(
      `${JSON.stringify({ error: { code: e.code ?? 'error', message, hint: e.hint ?? null, exitCode } })}\n`,
    );
  } else {
    process.stderr.write(`${s.red('sylk:')} ${message}\n`);
    if (e.hint) process.stderr.write(`  ${s.dim('hint:')} ${e.hint}\n`);
  }
  return exitCode;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  parts.push(`${s % 60}s`);
  return parts.slice(0, 2).join(' ');
}
