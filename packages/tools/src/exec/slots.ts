import { availableParallelism } from 'node:os';
import { ErrorTier, SylkError, abortReason } from '@sylk/core';

export interface SlotLease {
  /** Give the slot back; safe to call more than once. */
  release(): void;
}

/** Where the executor takes a subprocess slot before spawning (a daemon-wide pool can plug in here). */
export interface SlotPool {
  acquire(signal?: AbortSignal): Promise<SlotLease>;
  /** A slot a background process holds for its whole life (absent: background processes take none). */
  acquireBackground?(signal?: AbortSignal): Promise<SlotLease>;
}

function cancelled(signal: AbortSignal): SylkError {
  return new SylkError('cancelled while waiting for a subprocess slot', {
    tier: ErrorTier.Permanent,
    code: 'tools.cancelled',
    cause: abortReason(signal),
  });
}

/**
 * A FIFO semaphore: at most `limit` leases out at once (default 2 × available parallelism).
 * Background processes (dev servers, watchers) hold a slot each for as long as they run, but
 * together at most `backgroundLimit` (half the pool, at least 1), so commands always keep the rest.
 */
export class BoundedSlotPool implements SlotPool {
  private active = 0;
  private backgroundHeld = 0;
  readonly backgroundLimit: number;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(readonly limit: number = 2 * availableParallelism()) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new SylkError(`slot limit must be a positive integer, got ${limit}`, {
        tier: ErrorTier.Permanent,
        code: 'tools.invalid_option',
      });
    }
    this.backgroundLimit = Math.max(1, Math.floor(limit / 2));
  }

  /** Slots background processes hold now. */
  get background(): number {
    return this.backgroundHeld;
  }

  /** Refused (tools.pool_full) when background processes already hold their share; else waits like `acquire`. */
  async acquireBackground(signal?: AbortSignal): Promise<SlotLease> {
    if (this.backgroundHeld >= this.backgroundLimit)
      throw new SylkError(
        `background processes already hold ${this.backgroundHeld} of the ${this.limit} subprocess slots (their share)`,
        {
          tier: ErrorTier.Transient,
          code: 'tools.pool_full',
          details: { background: this.backgroundHeld, limit: this.limit },
          hint: 'Stop a background process (stop_process, or `sylk ps` then `sylk ps stop <id>`) before starting another.',
        },
      );
    this.backgroundHeld++;
    let lease: SlotLease;
    try {
      lease = await this.acquire(signal);
    } catch (err) {
      this.backgroundHeld--;
      throw err;
    }
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.backgroundHeld--;
        lease.release();
      },
    };
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<SlotLease> {
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.lease());
    }
    return new Promise<SlotLease>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.lease());
        },
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        reject(cancelled(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private lease(): SlotLease {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        // Hand the slot straight to the next waiter (active count unchanged).
        if (next !== undefined) next.grant();
        else this.active--;
      },
    };
  }
}
