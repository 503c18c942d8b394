import { join } from 'node:path';
import { GENESIS_HASH, parseLine } from './format.js';
import { forEachLine, listAuditFiles } from './lines.js';

/** Where the chain stands on disk: what the next entry links to. */
export interface ChainState {
  /** Last written sequence number (0 = empty log). */
  seq: number;
  /** Hash of that entry (genesis for an empty log). */
  hash: string;
  /** `to` of the last signature record (0 = none yet). */
  signedTo: number;
}

export interface ResumePoint {
  state: ChainState;
  /** The newest file and its size, to keep appending to it. */
  file: string | undefined;
  size: number;
  /** The newest file ends in a partial line (a crash mid-write), kept as evidence. */
  torn: { file: string; line: number; bytes: number } | undefined;
}

/** Candidate lines kept per file while scanning; the newest valid one wins. */
const CANDIDATES = 16;

/**
 * Finds the end of the chain: the newest file's last valid entry and the last signature,
 * walking back through older files only when the newest holds none. Only the tail candidates
 * are parsed, so resuming a full 100 MB file costs one read of it.
 */
export async function findResumePoint(dir: string): Promise<ResumePoint> {
  const files = await listAuditFiles(dir);
  const point: ResumePoint = {
    state: { seq: 0, hash: GENESIS_HASH, signedTo: 0 },
    file: undefined,
    size: 0,
    torn: undefined,
  };
  let haveEntry = false;
  let haveSignature = false;
  for (let i = files.length - 1; i >= 0 && !(haveEntry && haveSignature); i--) {
    const name = files[i] as string;
    const entries: string[] = [];
    const signatures: string[] = [];
    const scan = await forEachLine(join(dir, name), (line) => {
      if (line.startsWith('{"seq":')) {
        entries.push(line);
        if (entries.length > CANDIDATES) entries.shift();
      } else if (line.startsWith('{"sig":')) {
        signatures.push(line);
        if (signatures.length > CANDIDATES) signatures.shift();
      }
    });
    if (i === files.length - 1) {
      point.file = name;
      point.size = scan.bytes;
      if (scan.tornTail) point.torn = { file: name, line: scan.lines, bytes: scan.bytes };
    }
    if (!haveEntry) {
      for (let j = entries.length - 1; j >= 0; j--) {
        const parsed = parseLine(entries[j] as string);
        if (parsed.kind === 'entry') {
          point.state.seq = parsed.entry.seq;
          point.state.hash = parsed.entry.hash;
          haveEntry = true;
          break;
        }
      }
    }
    if (!haveSignature) {
      for (let j = signatures.length - 1; j >= 0; j--) {
        const parsed = parseLine(signatures[j] as string);
        if (parsed.kind === 'signature') {
          point.state.signedTo = parsed.sig.to;
          haveSignature = true;
          break;
        }
      }
    }
  }
  return point;
}
