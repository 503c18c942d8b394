import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { errorMessage, silentLogger, systemClock, type Clock, type Logger } from '@sylk/core';

export interface DiskReserveOptions {
  /** The reserve file, on the same filesystem as the event logs and the system database. */
  path: string;
  /** Default 4 MiB: room for the error events and state changes of every session hit. */
  bytes?: number;
  /** Least time between two attempts to recreate a released reserve. Default 30 s. */
  retryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * A few MiB of disk held back so that a full disk can still be reported. When an append fails
 * with `storage.disk_full`, the reserve is deleted: the turn's own events are refused (the turn
 * fails), and the space freed lets the `error` event and the session's state change be written,
 * so the failure is recorded instead of the session being stuck "running". Recreated once writes
 * succeed again.
 */
export class DiskReserve {
  private readonly path: string;
  private readonly bytes: number;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private nextAttempt = 0;

  constructor(options: DiskReserveOptions) {
    this.path = options.path;
    this.bytes = options.bytes ?? 4 * 1024 * 1024;
    this.retryMs = options.retryMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
  }

  /** Whether the reserve file is in place at its full size. */
  get held(): boolean {
    try {
      return statSync(this.path).size >= this.bytes;
    } catch {
      return false;
    }
  }

  /** Creates the reserve if it is missing (at most once per `retryMs`); never throws. */
  ensure(): boolean {
    if (this.clock.now() < this.nextAttempt) return false;
    this.nextAttempt = this.clock.now() + this.retryMs;
    if (this.held) return true;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w', 0o600);
      // Real blocks, not a sparse file: the space must be there to give back.
      const chunk = Buffer.alloc(64 * 1024);
      for (let written = 0; written < this.bytes;)
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - written));
      return true;
    } catch (err) {
      this.logger.warn(
        { path: this.path, err: errorMessage(err) },
        'could not create the disk reserve; retrying later',
      );
      rmSync(this.path, { force: true }); // a partial reserve only takes space
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Frees the reserve's space; true when there was any to free. */
  release(): boolean {
    const had = this.held;
    rmSync(this.path, { force: true });
    if (had)
      this.logger.warn({ path: this.path, bytes: this.bytes }, 'disk full: released the disk reserve to record it');
    this.nextAttempt = this.clock.now() + this.retryMs;
    return had;
  }
}
