import { availableParallelism } from 'node:os';
import { ErrorTier, SylkError, abortReason } from '@sylk/core';

export interface SlotLease {
  /** Give the slot back; safe to call more than once. */
  release(): void;
}

/** Where the executor takes a subprocess slot before spawning (a daemon-wide pool can plug in here). */
export interface SlotPool {
  acquire(signal?: AbortSignal): Promise<SlotLease>;
}

function cancelled(signal: AbortSignal): SylkError {
  return new SylkError('cancelled while waiting for a subprocess slot', {
    tier: ErrorTier.Permanent,
    code: 'tools.cancelled',
    cause: abortReason(signal),
  });
}

/** A FIFO semaphore: at most `limit` leases out at once (default 2 × available parallelism). */
export class BoundedSlotPool implements SlotPool {
  private active = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(readonly limit: number = 2 * availableParallelism()) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new SylkError(`slot limit must be a positive integer, got ${limit}`, {
        tier: ErrorTier.Permanent,
        code: 'tools.invalid_option',
      });
    }
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
