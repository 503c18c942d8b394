import { mkdir, open as openFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { newId, type Clock, type Logger, type RandomSource } from '@sylk/core';
import { canonicalText, fileNameFor, sealEntry, signatureLine, type SignedRange } from './format.js';
import { loadOrCreateSigner, type AuditSigner } from './keys.js';
import { findResumePoint, type ChainState } from './resume.js';
import type { AuditRecord, AuditSink } from './types.js';

/** The little of a file handle the writer uses; injectable so tests can make writes fail. */
export interface AuditFileHandle {
  write(text: string): Promise<unknown>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}
/** Opens a file for appending (created 0600). */
export type AuditOpen = (path: string) => Promise<AuditFileHandle>;

const defaultOpen: AuditOpen = (path) => openFile(path, 'a', 0o600);

/** Crypto randomness drawn 4 KiB at a time: one entry id needs 16 bytes, a syscall each is slow. */
function pooledRandom(): RandomSource {
  let pool = randomBytes(4096);
  let at = 0;
  return (n) => {
    if (at + n > pool.length) {
      pool = randomBytes(Math.max(4096, n));
      at = 0;
    }
    at += n;
    return pool.subarray(at - n, at);
  };
}

export interface AuditLogOptions {
  /** `{dirs.state}/audit`; created 0700. */
  dir: string;
  /** Where the Ed25519 key pair lives (default `<dir>/keys`, 0700). */
  keyDir?: string;
  rotateBytes: number;
  signatureInterval: number;
  enabled?: boolean;
  clock: Clock;
  logger: Logger;
  random?: RandomSource;
  /** Longest a record waits for its batch (100 ms). */
  flushIntervalMs?: number;
  /** A batch this large is written at once (1,000). */
  maxBatch?: number;
  /** Records beyond this many unwritten are dropped and counted (200,000). */
  maxPending?: number;
  open?: AuditOpen;
}

export interface AuditLogStats {
  enabled: boolean;
  written: number;
  lost: number;
  pending: number;
  lastSeq: number;
  file: string | undefined;
  signing: boolean;
}

interface Pending {
  rec: AuditRecord;
  time: number;
}

/** A failure streak: what is lost until a write succeeds again (then written as a marker entry). */
interface Loss {
  count: number;
  error: string;
  since: number;
}

/**
 * The daemon-wide audit writer: one chain, one writer. `record` only queues (the hot path never
 * touches the disk); batches are chained, hashed, signed every `signatureInterval` entries and
 * appended with one write and one fdatasync, at most `flushIntervalMs` after their first record.
 * A failed write never throws to callers: the batch is counted as lost, logged once per failure
 * streak, the chain is rolled back to what is on disk, and the first successful write after it
 * starts with an `audit/entries_lost` marker that `verify` reports.
 */
export class AuditLog implements AuditSink {
  private readonly dir: string;
  private readonly keyDir: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: RandomSource;
  private readonly open: AuditOpen;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private rotateBytes: number;
  private signatureInterval: number;
  private enabled: boolean;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Serializes writes (and exclusive readers such as verify). */
  private queue: Promise<void> = Promise.resolve();
  private chain: ChainState = { seq: 0, hash: '', signedTo: 0 };
  private fileName: string | undefined;
  private handle: AuditFileHandle | undefined;
  private size = 0;
  /** The file may end in a partial line: start the next write on a new line. */
  private needsNewline = false;
  private signer: AuditSigner | undefined;
  private loss: Loss | undefined;
  private tornMarker: Record<string, string | number> | undefined;
  private written = 0;
  private lostTotal = 0;
  private closed = false;

  private constructor(opts: AuditLogOptions) {
    this.dir = opts.dir;
    this.keyDir = opts.keyDir ?? join(opts.dir, 'keys');
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.random = opts.random ?? pooledRandom();
    this.open = opts.open ?? defaultOpen;
    this.flushIntervalMs = opts.flushIntervalMs ?? 100;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.maxPending = opts.maxPending ?? 200_000;
    this.rotateBytes = opts.rotateBytes;
    this.signatureInterval = opts.signatureInterval;
    this.enabled = opts.enabled ?? true;
  }

  /**
   * Opens the log: resumes the chain from the newest file (a torn last line is kept and a
   * `torn_line_recovered` marker is written next) and loads or makes the signing key. Never
   * throws for an unusable directory or key: the failure is logged and shows as lost entries
   * or missing signatures.
   */
  static async open(opts: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(opts);
    await log.resume();
    return log;
  }

  private async resume(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
      const point = await findResumePoint(this.dir);
      this.chain = point.state;
      this.fileName = point.file;
      this.size = point.size;
      if (point.torn !== undefined) {
        this.needsNewline = true;
        this.tornMarker = point.torn;
        this.logger.warn(
          { ...point.torn },
          'audit log ends in a partial line (crash mid-write); kept as is, chain continues after a marker',
        );
      }
    } catch (err) {
      this.logger.error(
        { err, dir: this.dir },
        'cannot read the audit log directory; entries will be counted as lost until it is usable',
      );
    }
    try {
      this.signer = loadOrCreateSigner(this.keyDir);
    } catch (err) {
      this.logger.error(
        { err, keyDir: this.keyDir },
        'cannot load or create the audit signing key; entries are chained but not signed',
      );
    }
  }

  get currentSignatureInterval(): number {
    return this.signatureInterval;
  }

  get lastSeq(): number {
    return this.chain.seq;
  }

  stats(): AuditLogStats {
    return {
      enabled: this.enabled,
      written: this.written,
      lost: this.lostTotal,
      pending: this.pending.length,
      lastSeq: this.chain.seq,
      file: this.fileName,
      signing: this.signer !== undefined,
    };
  }

  /** Live settings (config reload). */
  reconfigure(settings: { enabled: boolean; rotateBytes: number; signatureInterval: number }): void {
    this.enabled = settings.enabled;
    this.rotateBytes = settings.rotateBytes;
    this.signatureInterval = settings.signatureInterval;
  }

  record(rec: AuditRecord): void {
    if (!this.enabled || this.closed) return;
    if (this.pending.length >= this.maxPending) {
      this.noteLoss(1, 'pending queue full (disk too slow)');
      return;
    }
    this.pending.push({ rec, time: this.clock.now() });
    // While writes fail, retry on the timer only (no busy loop against a full disk).
    if (this.pending.length >= this.maxBatch && this.loss === undefined) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        void this.flush();
      });
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far; resolves when it is on disk (or counted as lost). */
  flush(): Promise<void> {
    return this.serial(async () => {
      while (this.pending.length > 0 || this.loss !== undefined || this.tornMarker !== undefined) {
        const batch = this.pending.splice(0, this.maxBatch);
        if (!(await this.writeBatch(batch, false))) break;
      }
    });
  }

  /** Runs `fn` with no write in progress or starting (verify reads a quiet file). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    let result: T;
    return this.serial(async () => {
      result = await fn();
    }).then(() => result);
  }

  /** Flush, sign what is unsigned, close. Records after this are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    await this.serial(async () => {
      if (this.chain.seq > this.chain.signedTo && this.signer !== undefined) await this.writeBatch([], true);
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
    });
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch((err: unknown) => this.logger.error({ err }, 'audit write task failed'));
    return next;
  }

  private noteLoss(count: number, error: string): void {
    this.lostTotal += count;
    if (this.loss === undefined) {
      this.loss = { count, error, since: this.clock.now() };
      this.logger.error(
        { error, dir: this.dir },
        'audit entries are being lost; they are counted and a marker is written when writing works again',
      );
    } else {
      this.loss.count += count;
    }
  }

  /** Chains, signs and appends one batch; false when the write failed (the batch is lost). */
  private async writeBatch(batch: Pending[], finalSignature: boolean): Promise<boolean> {
    const before: ChainState = { ...this.chain };
    const lines: string[] = [];
    const markers: AuditRecord[] = [];
    if (this.tornMarker !== undefined) {
      markers.push({
        category: 'audit',
        action: 'torn_line_recovered',
        target: String(this.tornMarker.file),
        outcome: 'kept',
        severity: 'warning',
        details: this.tornMarker,
      });
    }
    if (this.loss !== undefined) {
      const { count, error, since } = this.loss;
      markers.push({
        category: 'audit',
        action: 'entries_lost',
        target: this.dir,
        outcome: 'lost',
        severity: 'critical',
        details: { count, error, since },
      });
    }
    const now = this.clock.now();
    for (const rec of markers) this.appendEntry(lines, rec, now);
    for (const p of batch) this.appendEntry(lines, p.rec, p.time);
    if (finalSignature && this.chain.seq > this.chain.signedTo) this.appendSignature(lines);
    if (lines.length === 0) return true;
    const firstSeq = before.seq + 1;
    let bytes = 0;
    try {
      const handle = await this.fileFor(firstSeq, lines, batch.length + markers.length > 0);
      const text = `${this.needsNewline ? '\n' : ''}${lines.join('\n')}\n`;
      bytes = Buffer.byteLength(text);
      const sizeBefore = this.size;
      try {
        await handle.write(text);
        await handle.datasync();
      } catch (err) {
        // Drop a partial append so the file ends on a whole line; if even that fails, the next
        // write starts on a new line and verify reports the partial one.
        await handle.truncate(sizeBefore).then(
          () => (this.needsNewline = false),
          () => (this.needsNewline = true),
        );
        throw err;
      }
    } catch (err) {
      this.chain = before;
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.noteLoss(batch.length, String(code));
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
      return false;
    }
    this.size += bytes;
    this.needsNewline = false;
    this.written += batch.length;
    if (this.loss !== undefined)
      this.logger.warn({ lost: this.loss.count }, 'audit log writable again; the loss is recorded in the log');
    this.loss = undefined;
    this.tornMarker = undefined;
    return true;
  }

  /**
   * The handle to append to: the current file, or a new one named after the batch's first
   * sequence number when there is none yet or the batch would take the current one past
   * `rotateBytes` (a signature-only batch never starts a file).
   */
  private async fileFor(firstSeq: number, lines: string[], hasEntries: boolean): Promise<AuditFileHandle> {
    let approx = lines.length;
    for (const l of lines) approx += l.length;
    const full = this.fileName !== undefined && this.size > 0 && this.size + approx > this.rotateBytes && hasEntries;
    if (this.handle !== undefined && !full) return this.handle;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    if (this.fileName === undefined || full) {
      this.fileName = fileNameFor(firstSeq);
      this.size = 0;
      this.needsNewline = false;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.handle = await this.open(join(this.dir, this.fileName));
    return this.handle;
  }

  private appendEntry(lines: string[], rec: AuditRecord, time: number): void {
    const seq = this.chain.seq + 1;
    const canonical = canonicalText({
      seq,
      id: newId('au', time, this.random),
      time,
      category: rec.category,
      severity: rec.severity ?? 'info',
      action: rec.action,
      target: rec.target,
      outcome: rec.outcome,
      sessionId: rec.sessionId ?? '',
      projectId: rec.projectId ?? '',
      details: (rec.details ?? {}) as Record<string, string | number | boolean | null>,
      prev: this.chain.hash,
    });
    const sealed = sealEntry(canonical);
    lines.push(sealed.line);
    this.chain.seq = seq;
    this.chain.hash = sealed.hash;
    if (this.signer !== undefined && seq - this.chain.signedTo >= this.signatureInterval) this.appendSignature(lines);
  }

  private appendSignature(lines: string[]): void {
    const signer = this.signer;
    if (signer === undefined) return;
    const range: SignedRange = {
      from: this.chain.signedTo + 1,
      to: this.chain.seq,
      chainHash: this.chain.hash,
      keyId: signer.keyId,
      time: this.clock.now(),
    };
    const signedText = JSON.stringify(range);
    lines.push(signatureLine(signedText, signer.sign(signedText)));
    this.chain.signedTo = this.chain.seq;
  }
}
