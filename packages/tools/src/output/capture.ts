import { silentLogger, errorMessage, type Logger, type RedactingByteStream, type Redactor } from '@sylk/core';
import { LineSplitter } from './line-splitter.js';
import { FLAG_ERROR, FLAG_WARNING, classifierFor, type LineClassifier, type OutputPatterns } from './patterns.js';
import { Spool } from './spool.js';
import { TailRing } from './tail-ring.js';
import type { CapturedOutput, ImportantLine, LineKind, OutputLine, StreamName } from './types.js';

/** Sees every line before it is stored; the adaptive timeout uses it. */
export interface LineObserver {
  /** Called once per block of lines; false skips the block. */
  wantsBlock(): boolean;
  /** Return true when satisfied for this block. */
  line(text: string): boolean;
}

export interface OutputCaptureOptions {
  /** Spool file name (without extension); also used in log fields. */
  id: string;
  /** Directory for the raw spool; undefined keeps no raw copy. */
  spoolDir?: string;
  /** In-memory budget in characters (default 1 MiB): 1/8 head, 1/4 important lines, rest tail. */
  maxBufferBytes?: number;
  headLines?: number;
  tailLines?: number;
  maxImportantLines?: number;
  maxLineChars?: number;
  spoolLimitBytes?: number;
  patterns?: OutputPatterns;
  onLine?: (line: string, stream: StreamName) => void;
  /** Raw bytes as they arrive (background processes keep a recent window for polling). */
  onChunk?: (chunk: Buffer, stream: StreamName) => void;
  observer?: LineObserver;
  logger?: Logger;
  /**
   * Known-secret redaction (the daemon's SecretValues): each stream's bytes pass a streaming
   * redactor (a secret split across chunks is caught too) before anything sees them: the spool,
   * `onChunk`, and the lines that every summary, event and result is built from.
   */
  redact?: Redactor;
}

const OUTPUT_DEFAULTS = {
  maxBufferBytes: 1024 * 1024,
  headLines: 200,
  tailLines: 5000,
  maxImportantLines: 1000,
  maxLineChars: 64 * 1024,
  spoolLimitBytes: 1024 * 1024 * 1024,
} as const;

/** Copy a string so a kept line does not pin the (large) block it was sliced from. */
function detach(text: string): string {
  return text.length < 16 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

function kindOf(flag: number): LineKind {
  if ((flag & FLAG_ERROR) !== 0) return 'error';
  if ((flag & FLAG_WARNING) !== 0) return 'warning';
  return 'important';
}

/**
 * Tees a command's output: every line to `onLine` as it completes, the raw bytes to the spool,
 * and a bounded summary (head, important lines, tail ring, counts) in memory, so memory stays
 * flat however much the command prints.
 */
export class OutputCapture {
  private readonly splitters: Record<StreamName, LineSplitter>;
  private readonly classifier: LineClassifier;
  private readonly tail: TailRing;
  private readonly spool: Spool | undefined;
  private readonly head: OutputLine[] = [];
  private readonly important: ImportantLine[] = [];
  private readonly limits: { head: number; headChars: number; important: number; importantChars: number };
  private headChars = 0;
  private importantChars = 0;
  private importantDropped = 0;
  private totalLines = 0;
  private totalBytes = 0;
  private errorCount = 0;
  private warningCount = 0;
  private starts = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private finished: CapturedOutput | undefined;
  private onLineFailed = false;
  private readonly logger: Logger;
  private readonly raw: Record<StreamName, RedactingByteStream> | undefined;

  constructor(private readonly options: OutputCaptureOptions) {
    const budget = options.maxBufferBytes ?? OUTPUT_DEFAULTS.maxBufferBytes;
    const maxLine = Math.min(options.maxLineChars ?? OUTPUT_DEFAULTS.maxLineChars, budget);
    this.splitters = { stdout: new LineSplitter(maxLine), stderr: new LineSplitter(maxLine) };
    this.classifier = classifierFor(options.patterns);
    this.limits = {
      head: options.headLines ?? OUTPUT_DEFAULTS.headLines,
      headChars: Math.floor(budget / 8),
      important: options.maxImportantLines ?? OUTPUT_DEFAULTS.maxImportantLines,
      importantChars: Math.floor(budget / 4),
    };
    this.tail = new TailRing(
      options.tailLines ?? OUTPUT_DEFAULTS.tailLines,
      budget - this.limits.headChars - this.limits.importantChars,
    );
    this.logger = options.logger ?? silentLogger();
    this.spool =
      options.spoolDir === undefined
        ? undefined
        : new Spool(
            options.spoolDir,
            options.id,
            options.spoolLimitBytes ?? OUTPUT_DEFAULTS.spoolLimitBytes,
            this.logger,
          );
    const redact = options.redact;
    if (redact !== undefined) this.raw = { stdout: redact.byteStream(), stderr: redact.byteStream() };
  }

  /** Feed a chunk. False means "pause the source until `onDrain`" (the spool is behind). */
  push(chunk: Buffer, stream: StreamName): boolean {
    this.totalBytes += chunk.length;
    // With redaction, everything downstream (spool, onChunk, lines) reads the redacted bytes: one pass.
    const safe = this.raw === undefined ? chunk : this.redactRaw(stream, chunk, false);
    const ok = this.passRaw(safe, stream);
    const block = this.splitters[stream].push(safe);
    if (block !== '') this.processBlock(block, stream);
    return ok;
  }

  /** Raw output to `onChunk` and the spool; false when the spool is behind. */
  private passRaw(chunk: Buffer, stream: StreamName): boolean {
    if (chunk.length === 0) return true;
    this.options.onChunk?.(chunk, stream);
    return this.spool === undefined ? true : this.spool.write(chunk);
  }

  private redactRaw(stream: StreamName, chunk: Buffer | undefined, end: boolean): Buffer {
    const raw = this.raw?.[stream];
    if (raw === undefined) return chunk ?? Buffer.alloc(0);
    return end ? raw.end() : raw.write(chunk ?? Buffer.alloc(0));
  }

  onDrain(callback: () => void): void {
    if (this.spool === undefined) callback();
    else this.spool.onDrain(callback);
  }

  /** The output so far, without closing anything (used for progress and partial results). */
  snapshot(): CapturedOutput {
    return {
      totalLines: this.totalLines,
      totalBytes: this.totalBytes,
      head: [...this.head],
      tail: this.tail.lines(),
      important: [...this.important],
      importantDropped: this.importantDropped,
      errorCount: this.errorCount,
      warningCount: this.warningCount,
      longLinesCut: this.splitters.stdout.cut + this.splitters.stderr.cut,
      rawPath: this.spool?.opened === true ? this.spool.path : null,
      rawBytes: this.spool?.bytes ?? 0,
      rawTruncated: this.spool?.truncated ?? false,
    };
  }

  /** Flush unterminated lines, close the spool. Idempotent. */
  async finish(): Promise<CapturedOutput> {
    if (this.finished !== undefined) return this.finished;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.raw !== undefined) {
        const rest = this.redactRaw(stream, undefined, true);
        this.passRaw(rest, stream);
        const block = this.splitters[stream].push(rest);
        if (block !== '') this.processBlock(block, stream);
      }
      const block = this.splitters[stream].end();
      if (block !== '') this.processBlock(block, stream);
    }
    await this.spool?.close();
    this.finished = this.snapshot();
    return this.finished;
  }

  private processBlock(block: string, stream: StreamName): void {
    let count = 0;
    let at = 0;
    for (;;) {
      if (count + 1 >= this.starts.length) this.grow();
      this.starts[count] = at;
      const nl = block.indexOf('\n', at);
      if (nl === -1) break;
      count++;
      at = nl + 1;
    }
    this.starts[count] = block.length;
    const anyFlag = this.classifier.classify(block, this.starts, count, this.flags);
    const hasCR = block.includes('\r');
    const observer = this.options.observer;
    let observing = observer?.wantsBlock() ?? false;
    const splitter = this.splitters[stream];
    // Only the block's last lines can survive in the tail: pushing the earlier ones would evict them again.
    const tailFrom = Math.max(0, count - this.tail.capacity);
    for (let i = 0; i < count; i++) {
      let text = block.slice(this.starts[i], (this.starts[i + 1] as number) - 1);
      if (hasCR && text.endsWith('\r')) text = text.slice(0, -1);
      // The observer sees carriage-return redraws raw: they are progress, i.e. noise.
      if (observing && (observer as LineObserver).line(text)) observing = false;
      if (hasCR) text = collapseCarriageReturns(text);
      text = splitter.capped(text);
      const no = ++this.totalLines;
      this.emit(text, stream);
      if (this.head.length < this.limits.head && this.headChars + text.length <= this.limits.headChars) {
        this.head.push({ no, text: detach(text), stream });
        this.headChars += text.length;
      }
      if (anyFlag && this.flags[i] !== 0) {
        this.count(this.flags[i] as number);
        this.keepImportant(no, text, stream, this.flags[i] as number);
      }
      if (i >= tailFrom) this.tail.push(no, text, stream);
    }
  }

  private count(flag: number): void {
    if ((flag & FLAG_ERROR) !== 0) this.errorCount++;
    else if ((flag & FLAG_WARNING) !== 0) this.warningCount++;
  }

  private keepImportant(no: number, text: string, stream: StreamName, flag: number): void {
    if (
      this.important.length >= this.limits.important ||
      this.importantChars + text.length > this.limits.importantChars
    ) {
      this.importantDropped++;
      return;
    }
    this.important.push({ no, text: detach(text), stream, kind: kindOf(flag) });
    this.importantChars += text.length;
  }

  private emit(text: string, stream: StreamName): void {
    const onLine = this.options.onLine;
    if (onLine === undefined) return;
    try {
      onLine(text, stream);
    } catch (err) {
      // A failing consumer must not break capture; say so once.
      if (!this.onLineFailed)
        this.logger.warn({ id: this.options.id, err: errorMessage(err) }, 'onLine callback threw');
      this.onLineFailed = true;
    }
  }

  private grow(): void {
    const starts = new Int32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
    this.flags = new Uint8Array(starts.length);
  }
}

/** "10%\r20%\r30%" redraws one terminal line: keep what the terminal would finally show. */
function collapseCarriageReturns(text: string): string {
  const cr = text.lastIndexOf('\r');
  if (cr === -1) return text;
  const shown = text.slice(cr + 1);
  return shown === '' ? text.slice(text.lastIndexOf('\r', cr - 1) + 1, cr) : shown;
}
