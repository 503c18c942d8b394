import { open, readdir } from 'node:fs/promises';
import { isAuditFileName } from './format.js';

const CHUNK_BYTES = 1 << 20;

/** The audit files of a directory, in log order (their names sort). Missing directory: none. */
export async function listAuditFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isAuditFileName).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export interface LineScan {
  lines: number;
  /** The file's last bytes are not newline-terminated (a torn write). */
  tornTail: boolean;
  bytes: number;
}

/**
 * Calls `onLine` for every line of a file with its bytes (`buf[start..end)`, without the
 * newline; valid only during the call), reading 1 MiB at a time so a large file neither fills
 * memory nor holds the event loop for long. A last line without its newline is passed too and
 * reported as `tornTail`. `onLine` returning false stops.
 */
export async function forEachLineBytes(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, lineNo: number) => boolean | void,
): Promise<LineScan> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let carry: Buffer | undefined;
  let lineNo = 0;
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const chunk =
        carry === undefined ? buf.subarray(0, bytesRead) : Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      carry = undefined;
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        lineNo++;
        if (onLine(chunk, start, nl, lineNo) === false) return { lines: lineNo, tornTail: false, bytes };
        start = nl + 1;
      }
      // Copy: `buf` is reused by the next read.
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
    }
    if (carry !== undefined && carry.length > 0) {
      lineNo++;
      onLine(carry, 0, carry.length, lineNo);
      return { lines: lineNo, tornTail: true, bytes };
    }
    return { lines: lineNo, tornTail: false, bytes };
  } finally {
    await fh.close();
  }
}

/** forEachLineBytes with each line decoded (UTF-8). */
export function forEachLine(path: string, onLine: (line: string, lineNo: number) => boolean | void): Promise<LineScan> {
  return forEachLineBytes(path, (buf, start, end, lineNo) => onLine(buf.toString('utf8', start, end), lineNo));
}
