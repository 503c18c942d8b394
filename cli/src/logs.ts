import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import type { Style } from './output.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One JSON log record as a readable line; non-JSON lines pass through. */
function formatLogLine(line: string, st: Style): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, pid: _pid, hostname: _h, ...rest } = rec;
  const lvl = LEVELS[Number(level)] ?? String(level);
  const colour = Number(level) >= 50 ? st.red : Number(level) >= 40 ? st.yellow : st.dim;
  const ts = typeof time === 'number' ? new Date(time).toISOString() : '';
  const extra = Object.keys(rest).length > 0 ? ` ${st.dim(JSON.stringify(rest))}` : '';
  return `${st.dim(ts)} ${colour(lvl.padEnd(5))} ${String(msg ?? '')}${extra}`;
}

export function printLog(file: string, lines: number, raw: boolean, st: Style): void {
  const all = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  for (const line of all.slice(Math.max(0, all.length - lines)))
    process.stdout.write(`${raw ? line : formatLogLine(line, st)}\n`);
}

/** Print lines appended to the log until aborted; follows rotation (the link moves to a new file). */
export async function followLog(file: string, raw: boolean, st: Style, signal: AbortSignal): Promise<void> {
  let ino = statSync(file).ino;
  let offset = statSync(file).size;
  let pending = '';
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, 250));
    let s;
    try {
      s = statSync(file);
    } catch {
      continue;
    }
    if (s.ino !== ino) {
      ino = s.ino;
      offset = 0;
    }
    if (s.size <= offset) continue;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(s.size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = s.size;
      pending += buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) if (line !== '') process.stdout.write(`${raw ? line : formatLogLine(line, st)}\n`);
  }
}
