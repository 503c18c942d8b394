/** What {@link AbortableReader.wait} resolves to when the signal aborts first. */
export const ABORTED: unique symbol = Symbol('aborted');

/**
 * Waits on one promise at a time or the abort, whichever comes first, for a consumer that
 * waits once per streamed chunk. One abort listener serves all waits and each wait is a fresh
 * promise: `Promise.race([next, abortedPromise])` per chunk would leave a reaction on the
 * long-lived abort promise for every chunk until the stream ends (tens of thousands per turn,
 * all kept alive and copied by every young-generation GC).
 */
export class AbortableReader {
  private settle: ((value: typeof ABORTED) => void) | undefined;
  private readonly onAbort = () => this.settle?.(ABORTED);

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  wait<T>(pending: Promise<T>): Promise<T | typeof ABORTED> {
    if (this.signal.aborted) {
      pending.catch(() => undefined); // its rejection is no longer anyone's business
      return Promise.resolve(ABORTED);
    }
    return new Promise<T | typeof ABORTED>((resolve, reject) => {
      this.settle = resolve;
      pending.then(resolve, reject);
    });
  }

  /** Stop listening; call when the stream ends. */
  close(): void {
    this.settle = undefined;
    this.signal.removeEventListener('abort', this.onAbort);
  }
}
