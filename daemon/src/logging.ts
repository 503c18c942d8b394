import { join } from 'node:path';
import { pino, type DestinationStream, type Level } from 'pino';
import pinoRoll from 'pino-roll';
import { createLogger, errorMessage, type Logger } from '@sylk/core';

export interface DaemonLogOptions {
  logsDir: string;
  level: string;
  /** Pretty, human-readable output on stdout as well (foreground on a TTY). */
  pretty: boolean;
  /** The same JSON lines on stdout as well: it is the journal when systemd runs sylkd (journal.ts). */
  journal?: boolean;
  maxSizeMb: number;
  maxFiles: number;
  /**
   * A last pass over every serialized line (the daemon's known-secret redaction): pino redacts by
   * path and scrubs patterns; this catches a known key wherever it sits, nested fields included.
   * Cheap when nothing is registered (one length check) or nothing matches (indexOf per value).
   */
  redact?: (line: string) => string;
}

export interface DaemonLog {
  logger: Logger;
  /** Stable path that always points at the active log file. */
  currentFile: string;
  /** Lines dropped because the log file could not be written (disk full); never throws. */
  health(): LogWriteHealth;
  close(): void;
}

export interface LogWriteHealth {
  failing: boolean;
  droppedLines: number;
  lastError: string | undefined;
}

/** The file the CLI reads for `sylk daemon logs` (pino-roll keeps it pointing at the active file). */
function currentLogPath(logsDir: string): string {
  return join(logsDir, 'current.log');
}

/**
 * One line to stderr that can never throw: stderr may itself be a file on the full disk
 * (a detached sylkd's sylkd.out), and an unhandled stream 'error' would crash the process.
 */
export function writeStderr(line: string): void {
  try {
    if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined);
    process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
  } catch {
    // Nowhere left to report it.
  }
}

/** The part of a SonicBoom/pino-roll stream the guard uses. */
export interface LogTarget {
  write(line: string): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * A pino destination that cannot crash the process. Write errors (ENOSPC while the disk is
 * full, EIO, a failed rotation) arrive as 'error' events, which unhandled would be an uncaught
 * exception, and the crash handler's own log line would fail the same way. Instead: stop
 * forwarding, drop and count lines, try again after `retryMs`, and when a write gets through,
 * log how many lines were lost. The target keeps at most the lines in flight when it failed.
 * @internal exported for tests
 */
export class GuardedLogDestination {
  readonly #target: LogTarget;
  readonly #now: () => number;
  readonly #retryMs: number;
  #failing = false;
  #retryAt = 0;
  #dropped = 0;
  #lastError: string | undefined;
  /** Said on stderr once per episode, not on every failed retry. */
  #reported = false;

  constructor(target: LogTarget, opts: { now?: () => number; retryMs?: number } = {}) {
    this.#target = target;
    this.#now = opts.now ?? (() => Date.now());
    this.#retryMs = opts.retryMs ?? 5_000;
    target.on('error', (err) => this.#onError(err));
  }

  write(line: string): void {
    if (this.#failing) {
      if (this.#now() < this.#retryAt) {
        this.#dropped++;
        return;
      }
      this.#failing = false;
      const dropped = this.#dropped;
      this.#dropped = 0;
      if (dropped > 0) this.#forward(this.#lostLine(dropped));
      if (this.#failing) {
        this.#dropped += dropped + 1;
        return;
      }
    }
    this.#forward(line);
  }

  health(): LogWriteHealth {
    return { failing: this.#failing, droppedLines: this.#dropped, lastError: this.#lastError };
  }

  #forward(line: string): void {
    try {
      this.#target.write(line);
    } catch (err) {
      this.#onError(err as Error);
    }
    if (!this.#failing) this.#reported = false;
  }

  #onError(err: Error): void {
    this.#failing = true;
    this.#retryAt = this.#now() + this.#retryMs;
    this.#lastError = errorMessage(err);
    if (this.#reported) return;
    this.#reported = true;
    writeStderr(
      `sylkd: cannot write the log (${this.#lastError}); dropping log lines, retrying every ${this.#retryMs / 1000} s`,
    );
  }

  #lostLine(dropped: number): string {
    const msg = `dropped ${dropped} log line(s) while the log could not be written (${this.#lastError ?? 'unknown error'})`;
    return `${JSON.stringify({ level: 40, time: this.#now(), pid: process.pid, msg })}\n`;
  }
}

/**
 * Structured JSON logs to `{state}/logs/`, rotated by size (pino-roll, in-process so
 * the idle daemon carries no transport worker thread), plus pretty output when a
 * person is watching a foreground daemon, or the same JSON lines on stdout when that is the
 * journal. Redaction comes from @sylk/core, and the last pass covers every stream. Writing the
 * log never throws (GuardedLogDestination).
 */
export async function openDaemonLog(options: DaemonLogOptions): Promise<DaemonLog> {
  const file = await pinoRoll({
    file: join(options.logsDir, 'sylkd.log'),
    size: `${options.maxSizeMb}m`,
    limit: { count: options.maxFiles },
    symlink: true,
    mkdir: true,
    // Synchronous writes: a daemon logs little, and the line before a crash must reach the disk.
    sync: true,
  });
  // pino-roll returns a SonicBoom (an EventEmitter); its published type omits `on`.
  const guarded = new GuardedLogDestination(file as typeof file & Pick<LogTarget, 'on'>);
  const redact = options.redact;
  const redacting = (stream: DestinationStream): DestinationStream =>
    redact === undefined ? stream : { write: (line: string) => stream.write(redact(line)) };
  const streams: { stream: DestinationStream; level: Level }[] = [{ stream: redacting(guarded), level: 'trace' }];
  if (options.journal) {
    // Synchronous, like the file: nothing is buffered to flush at exit.
    const journal = pino.destination({ dest: 1, sync: true });
    const guardedJournal = new GuardedLogDestination(journal as typeof journal & Pick<LogTarget, 'on'>);
    streams.push({ stream: redacting(guardedJournal), level: 'trace' });
  } else if (options.pretty) {
    // Loaded only when a person is watching: it is sizeable and an idle service never needs it.
    const { PinoPretty } = await import('pino-pretty');
    streams.push({
      stream: redacting(PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })),
      level: 'trace',
    });
  }
  const logger = createLogger(pino.multistream(streams), { level: options.level, base: { pid: process.pid } });
  return {
    logger,
    currentFile: currentLogPath(options.logsDir),
    health: () => guarded.health(),
    close: () => {
      // The process exits right after: write what is buffered now, synchronously.
      try {
        file.flushSync?.();
        file.end();
      } catch {
        // A full disk: what is buffered is lost, the exit must still happen.
      }
    },
  };
}
