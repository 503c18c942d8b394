import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorTier, SylkError, errorMessage, type Logger } from '@sylk/core';

/**
 * The full raw output of one command on disk, so "show me everything" works past the in-memory
 * buffer. Opened lazily (a silent command creates no file), written with backpressure (the
 * caller pauses the child while `write` returns false), capped at `limitBytes`.
 */
export class Spool {
  private stream: WriteStream | undefined;
  private failed = false;
  private readonly drainWaiters: Array<() => void> = [];
  bytes = 0;
  truncated = false;
  readonly path: string;

  constructor(
    private readonly dir: string,
    name: string,
    private readonly limitBytes: number,
    private readonly logger: Logger,
  ) {
    this.path = join(dir, `${name}.log`);
  }

  get opened(): boolean {
    return this.stream !== undefined;
  }

  /** False when the caller should wait for `onDrain` before writing more. */
  write(chunk: Buffer): boolean {
    if (this.failed) return true;
    if (this.bytes + chunk.length > this.limitBytes) {
      this.truncated = true;
      chunk = chunk.subarray(0, Math.max(0, this.limitBytes - this.bytes));
      if (chunk.length === 0) return true;
    }
    const stream = this.stream ?? this.openStream();
    this.bytes += chunk.length;
    return stream.write(chunk);
  }

  onDrain(callback: () => void): void {
    if (this.stream === undefined || this.failed || !this.stream.writableNeedDrain) callback();
    else this.drainWaiters.push(callback);
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (stream === undefined || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      stream.end();
    });
  }

  private openStream(): WriteStream {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stream = createWriteStream(this.path, { flags: 'w', mode: 0o600 });
    stream.on('drain', () => this.releaseWaiters());
    stream.on('error', (err) => {
      // A full disk must not take the command down: keep the in-memory capture, mark the raw copy.
      this.failed = true;
      this.truncated = true;
      this.logger.warn({ path: this.path, err: errorMessage(err) }, 'output spool failed');
      this.releaseWaiters();
    });
    this.stream = stream;
    return stream;
  }

  private releaseWaiters(): void {
    for (const waiter of this.drainWaiters.splice(0)) waiter();
  }
}

export interface ReadRawOptions {
  offset?: number;
  /** Default 16 MiB: the raw file can be gigabytes. */
  maxBytes?: number;
}

/** Read (part of) a spooled raw output. */
export async function readRaw(
  output: { rawPath: string | null },
  { offset = 0, maxBytes = 16 * 1024 * 1024 }: ReadRawOptions = {},
): Promise<{ text: string; nextOffset: number; eof: boolean }> {
  if (output.rawPath === null) return { text: '', nextOffset: 0, eof: true };
  let handle;
  try {
    handle = await open(output.rawPath, 'r');
  } catch (err) {
    throw new SylkError(`raw output is no longer available: ${output.rawPath}`, {
      tier: ErrorTier.Permanent,
      code: 'tools.raw_output_missing',
      cause: err,
      details: { path: output.rawPath },
    });
  }
  try {
    const { size } = await handle.stat();
    const length = Math.max(0, Math.min(maxBytes, size - offset));
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return {
      text: buffer.subarray(0, bytesRead).toString('utf8'),
      nextOffset: offset + bytesRead,
      eof: offset + bytesRead >= size,
    };
  } finally {
    await handle.close();
  }
}
