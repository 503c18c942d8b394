import { join } from 'node:path';
import { GENESIS_HASH, entryLinks, parseLine, sha256Hex, type SignedRange } from './format.js';
import { loadVerifier, type AuditVerifier } from './keys.js';
import { forEachLineBytes, listAuditFiles } from './lines.js';
import type { AuditProblem, AuditVerifyReport } from './types.js';

export interface VerifyOptions {
  dir: string;
  /** Where the public key is (default `<dir>/keys`). */
  keyDir?: string;
  /** The writer's last sequence number, when a running daemon asks: detects entries cut off the end. */
  expectLastSeq?: number;
  /** The writer signs at least this often: a longer unsigned tail means signatures are missing. */
  signatureInterval?: number;
}

const SEQ_PREFIX = Buffer.from('{"seq":');
const HASH_MARK = Buffer.from(',"hash":"');
const PREV_MARK = Buffer.from(',"prev":"');
/** `,"hash":"` + 64 hex + `"}` */
const HASH_TAIL = HASH_MARK.length + 64 + 2;
const LOST_MARK = '"action":"entries_lost"';
const LOST_MARK_BYTES = Buffer.from(LOST_MARK);

/** Walks every line of every file in order, keeping just enough state to check each link. */
class Verifier {
  readonly problems: AuditProblem[] = [];
  /** Signature checks still running. */
  readonly pending: Array<Promise<void>> = [];
  entries = 0;
  signatures = 0;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private signedTo = 0;
  private sawEntry = false;
  private missingKeyReported = false;

  constructor(private readonly key: AuditVerifier | undefined) {}

  get position(): { seq: number; signedTo: number } {
    return { seq: this.lastSeq, signedTo: this.signedTo };
  }

  /**
   * The fast path for a well-formed entry line: fields found by position in the raw bytes and
   * the hash taken over them directly (no decoding, no JSON parse). Anything else is decoded and
   * goes through `line`.
   */
  lineBytes(file: string, lineNo: number, buf: Buffer, start: number, end: number): void {
    const at = end - HASH_TAIL; // where `,"hash":"` starts
    const prevAt = at - 1 - 64 - PREV_MARK.length;
    if (
      prevAt > start + SEQ_PREFIX.length &&
      buf.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, start, start + SEQ_PREFIX.length) === 0 &&
      buf[end - 1] === 0x7d &&
      buf[end - 2] === 0x22 &&
      buf[at - 1] === 0x22 &&
      buf.compare(HASH_MARK, 0, HASH_MARK.length, at, at + HASH_MARK.length) === 0 &&
      buf.compare(PREV_MARK, 0, PREV_MARK.length, prevAt, prevAt + PREV_MARK.length) === 0
    ) {
      let seq = 0;
      let i = start + SEQ_PREFIX.length;
      for (; i < at && (buf[i] as number) >= 0x30 && (buf[i] as number) <= 0x39; i++)
        seq = seq * 10 + ((buf[i] as number) - 0x30);
      if (i > start + SEQ_PREFIX.length && buf[i] === 0x2c && seq >= 1 && Number.isSafeInteger(seq)) {
        // The canonical text is the line up to `,"hash"` closed with `}`: hash it in place.
        const saved = buf[at] as number;
        buf[at] = 0x7d;
        const digest = sha256Hex(buf.subarray(start, at + 1));
        buf[at] = saved;
        const marker =
          buf.subarray(start, end).indexOf(LOST_MARK_BYTES) !== -1 ? buf.toString('utf8', start, end) : undefined;
        const add = (s: number, problem: string): void => {
          this.problems.push({ file, line: lineNo, seq: s, problem });
        };
        return this.entry(
          {
            seq,
            prev: buf.toString('latin1', prevAt + PREV_MARK.length, at - 1),
            hash: buf.toString('latin1', at + HASH_MARK.length, end - 2),
            digest,
          },
          marker,
          add,
        );
      }
    }
    this.line(file, lineNo, buf.toString('utf8', start, end));
  }

  line(file: string, lineNo: number, text: string): void {
    const add = (seq: number, problem: string): void => {
      this.problems.push({ file, line: lineNo, seq, problem });
    };
    if (text === '') return add(0, `empty line after seq ${this.lastSeq} (inserted or torn)`);
    // Entries are checked by position (no JSON parse): fast, and exact about every byte.
    const links = text.startsWith('{"seq":') ? entryLinks(text) : undefined;
    if (links !== undefined)
      return this.entry(
        { ...links, digest: sha256Hex(links.canonical) },
        text.includes(LOST_MARK) ? text : undefined,
        add,
      );
    const parsed = parseLine(text);
    if (parsed.kind === 'signature') return this.signature(parsed.sig, parsed.signedText, parsed.signature, add);
    const reason = parsed.kind === 'invalid' ? parsed.reason : 'entry fields are not in canonical order (edited)';
    add(0, `${reason}; after seq ${this.lastSeq}`);
  }

  /** `digest` is the hash computed over the line; `markerText` the line when it may be a loss marker. */
  private entry(
    e: { seq: number; prev: string; hash: string; digest: string },
    markerText: string | undefined,
    add: (seq: number, problem: string) => void,
  ): void {
    this.entries++;
    if (e.digest !== e.hash) add(e.seq, 'entry hash mismatch: the entry was edited');
    const expected = this.lastSeq + 1;
    if (!this.sawEntry && e.seq !== 1) {
      add(e.seq, `log starts at seq ${e.seq}: entries 1..${e.seq - 1} are missing`);
    } else if (e.seq === expected) {
      if (e.prev !== this.lastHash)
        add(
          e.seq,
          `hash link broken: prev does not match the hash of entry ${this.lastSeq} (an entry before it was edited or replaced)`,
        );
    } else if (e.seq > expected) {
      add(
        e.seq,
        `sequence gap: expected ${expected}, found ${e.seq} (${e.seq - expected} entr${e.seq - expected === 1 ? 'y' : 'ies'} missing)`,
      );
    } else {
      add(e.seq, `sequence goes backwards: seq ${e.seq} after ${this.lastSeq} (lines reordered or duplicated)`);
    }
    // Unescaped quotes only occur around real field names and values, never inside a target.
    if (markerText !== undefined) {
      const parsed = parseLine(markerText);
      if (parsed.kind === 'entry' && parsed.entry.category === 'audit') {
        const d = parsed.entry.details;
        add(
          e.seq,
          `${String(d.count ?? '?')} entries lost before this point (write failed: ${String(d.error ?? 'unknown')})`,
        );
      }
    }
    this.sawEntry = true;
    this.lastSeq = e.seq;
    this.lastHash = e.hash;
  }

  private signature(
    sig: SignedRange,
    signedText: string,
    signature: string,
    add: (seq: number, problem: string) => void,
  ): void {
    this.signatures++;
    if (this.key === undefined) {
      if (!this.missingKeyReported) add(sig.to, 'no public key (keys/audit-ed25519.pub): signatures cannot be checked');
      this.missingKeyReported = true;
    } else if (sig.keyId !== this.key.keyId) {
      add(sig.to, `signed by another key (${sig.keyId}, expected ${this.key.keyId})`);
    } else {
      // Checked off the main thread; the slot keeps the problem in file order.
      add(sig.to, '');
      const placed = this.problems[this.problems.length - 1] as AuditProblem;
      this.pending.push(
        this.key.verify(signedText, signature).then((valid) => {
          if (!valid) placed.problem = 'signature does not verify (the signature record was edited)';
        }),
      );
    }
    if (sig.to !== this.lastSeq) add(sig.to, `signature covers up to seq ${sig.to} but follows seq ${this.lastSeq}`);
    else if (sig.chainHash !== this.lastHash)
      add(sig.to, `signature chain hash differs from the hash of entry ${sig.to} (entries up to it were rewritten)`);
    if (sig.from !== this.signedTo + 1)
      add(
        sig.to,
        `signature range starts at seq ${sig.from}, expected ${this.signedTo + 1} (a signature record is missing)`,
      );
    this.signedTo = sig.to;
  }
}

/**
 * Checks the whole log: every entry's hash, the sequence (gapless, in order), the links, every
 * signature (key, bytes, range, chain hash), across rotated files. Reports every problem with
 * its file, line and sequence number, not just the first; never throws for bad content.
 */
export async function verifyAuditLog(opts: VerifyOptions): Promise<AuditVerifyReport> {
  const files = await listAuditFiles(opts.dir);
  const v = new Verifier(loadVerifier(opts.keyDir ?? join(opts.dir, 'keys')));
  let lastFile = '';
  let lastLine = 0;
  for (const name of files) {
    const scan = await forEachLineBytes(join(opts.dir, name), (buf, start, end, lineNo) =>
      v.lineBytes(name, lineNo, buf, start, end),
    );
    if (scan.tornTail) {
      // The partial line was reported as unparseable; say what it most likely is.
      const torn = 'the last line is incomplete (torn write, e.g. a crash mid-write)';
      const same = v.problems.find((p) => p.file === name && p.line === scan.lines);
      if (same === undefined) v.problems.push({ file: name, line: scan.lines, seq: 0, problem: torn });
      else same.problem = torn;
    }
    lastFile = name;
    lastLine = scan.lines;
  }
  await Promise.all(v.pending);
  // Slots of signatures that verified carry no problem.
  const found = v.problems.filter((p) => p.problem !== '');
  v.problems.length = 0;
  v.problems.push(...found);
  const { seq, signedTo } = v.position;
  if (opts.expectLastSeq !== undefined && seq < opts.expectLastSeq) {
    v.problems.push({
      file: lastFile,
      line: lastLine,
      seq,
      problem: `log ends at seq ${seq} but the daemon has written up to ${opts.expectLastSeq} (entries at the end were removed)`,
    });
  }
  if (opts.signatureInterval !== undefined && seq - signedTo >= opts.signatureInterval) {
    v.problems.push({
      file: lastFile,
      line: lastLine,
      seq,
      problem: `entries ${signedTo + 1}..${seq} are not signed (the signing key was unusable or signature records were removed)`,
    });
  }
  return {
    ok: v.problems.length === 0,
    entries: v.entries,
    signatures: v.signatures,
    files: files.length,
    unsignedTail: seq - signedTo,
    problems: v.problems,
  };
}
