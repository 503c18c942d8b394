import type { StreamChunk } from '../types.js';

/**
 * The caller side of `gate.stream()`: an unbounded push/pull queue of chunks. `onCancel` runs when
 * the consumer stops iterating early (break/return), so the gate can cancel the request.
 */
export class ChunkChannel implements AsyncIterable<StreamChunk> {
  private readonly items: StreamChunk[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<StreamChunk>) => void) | undefined;
  private failWaiter: ((e: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;
  private failed = false;
  onCancel: (() => void) | undefined;

  push(chunk: StreamChunk): void {
    if (this.ended) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.failWaiter = undefined;
      w({ value: chunk, done: false });
    } else this.items.push(chunk);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    this.failWaiter = undefined;
    w?.({ value: undefined, done: true });
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = true;
    this.error = err;
    const f = this.failWaiter;
    this.waiter = undefined;
    this.failWaiter = undefined;
    f?.(err);
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    return {
      next: () => {
        if (this.head < this.items.length) {
          const value = this.items[this.head] as StreamChunk;
          this.items[this.head++] = undefined as unknown as StreamChunk;
          if (this.head === this.items.length) {
            this.items.length = 0;
            this.head = 0;
          }
          return Promise.resolve({ value, done: false });
        }
        if (this.failed) return Promise.reject(this.error);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = resolve;
          this.failWaiter = reject;
        });
      },
      return: () => {
        if (!this.ended) {
          this.ended = true;
          this.onCancel?.();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
