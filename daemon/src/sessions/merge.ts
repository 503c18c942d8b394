import { abortReason } from '@sylk/core';

export type Merged<E, S> =
  { source: 'events'; value: E } | { source: 'side'; value: S } | { source: 'events-done' } | { source: 'side-done' };

/**
 * Merges a pulled stream (one `next()` in flight at a time, so its backpressure is kept) with
 * pushed side messages, stopping on a signal. It never re-subscribes to a promise that stays
 * pending: each wait is one fresh promise settled exactly once, so a long-lived stream does
 * not pile up reactions the way a `Promise.race` per item does.
 */
export class StreamMerger<E, S> {
  private readonly side: S[] = [];
  private sideEnded = false;
  private ready: IteratorResult<E> | undefined;
  private failed: { error: unknown } | undefined;
  private inFlight = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly events: AsyncIterator<E>,
    private readonly stop: AbortSignal,
  ) {
    stop.addEventListener('abort', () => this.notify(), { once: true });
  }

  push(message: S): void {
    this.side.push(message);
    this.notify();
  }

  endSide(): void {
    this.sideEnded = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private pull(): void {
    if (this.inFlight || this.ready !== undefined || this.failed !== undefined) return;
    this.inFlight = true;
    this.events.next().then(
      (result) => {
        this.inFlight = false;
        this.ready = result;
        this.notify();
      },
      (error: unknown) => {
        this.inFlight = false;
        this.failed = { error };
        this.notify();
      },
    );
  }

  async next(): Promise<Merged<E, S>> {
    for (;;) {
      if (this.stop.aborted) throw abortReason(this.stop);
      const message = this.side.shift();
      if (message !== undefined) return { source: 'side', value: message };
      if (this.sideEnded) {
        this.sideEnded = false;
        return { source: 'side-done' };
      }
      if (this.failed !== undefined) throw this.failed.error;
      const result = this.ready;
      if (result !== undefined) {
        this.ready = undefined;
        return result.done ? { source: 'events-done' } : { source: 'events', value: result.value };
      }
      this.pull();
      if (this.ready !== undefined || this.failed !== undefined) continue;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
