import { isResync, type Entry, type ResyncItem, type SubscriptionItem } from './events.js';

export interface SubscribeOptions {
  /** Most events held for a subscriber that is not reading. Default 10,000. */
  bufferLimit?: number;
  /** Most bytes (approximate) held for it. Default 8 MiB. */
  bufferBytes?: number;
}

const DEFAULT_BUFFER_LIMIT = 10_000;
const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;
const MAX_REPLAY_PAGE = 512;

/** What a subscription needs from its event log. */
export interface SubscriptionSource {
  /** Last committed and broadcast seq. */
  readonly lastSeq: number;
  readonly closed: boolean;
  /** Persisted events with `fromSeq <= seq <= lastSeq`, at most `limit`. */
  readEntries(fromSeq: number, limit: number): Entry[];
  detach(sub: Subscription): void;
}

type Result = IteratorResult<SubscriptionItem, undefined>;
const DONE: Result = { value: undefined, done: true };

/**
 * One attached reader. It replays persisted events from `fromSeq` by reading pages from disk
 * while it is behind, and takes live events from the log's broadcast once it has caught up.
 * `expected` (the next seq not yet buffered) decides which: a broadcast event is buffered only
 * when its seq is exactly `expected`, so replay and live never overlap or leave a gap.
 */
export class Subscription implements AsyncIterableIterator<SubscriptionItem, undefined> {
  private buffer: (Entry | undefined)[] = [];
  private head = 0;
  private bytes = 0;
  private expected: number;
  private terminal: ResyncItem | 'done' | undefined;
  private waiter: ((result: Result) => void) | undefined;
  private pulling: Promise<Result> | undefined;
  private readonly limit: number;
  private readonly limitBytes: number;
  private readonly pageSize: number;

  constructor(
    private readonly source: SubscriptionSource,
    fromSeq: number,
    options: SubscribeOptions = {},
  ) {
    this.expected = Math.max(1, Math.floor(fromSeq));
    this.limit = Math.max(1, options.bufferLimit ?? DEFAULT_BUFFER_LIMIT);
    this.limitBytes = Math.max(1, options.bufferBytes ?? DEFAULT_BUFFER_BYTES);
    this.pageSize = Math.max(1, Math.min(MAX_REPLAY_PAGE, Math.floor(this.limit / 2)));
  }

  /** Events held and not yet read. */
  get buffered(): number {
    return this.buffer.length - this.head;
  }

  /** Approximate bytes held and not yet read. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Memory pressure: drops what is held and ends with a resync (the reader re-attaches and
   * replays from disk). Returns the bytes freed; 0 when nothing was held.
   */
  shed(): number {
    if (this.terminal !== undefined || this.buffered === 0) return 0;
    const freed = this.bytes;
    this.overflow();
    return freed;
  }

  /** Whether the subscriber has been dropped, ended or returned. */
  get finished(): boolean {
    return this.terminal !== undefined;
  }

  /** Called by the log after each commit with the new events in seq order. */
  offer(entries: readonly Entry[]): void {
    if (this.terminal !== undefined) return;
    let added = false;
    for (const entry of entries) {
      const { seq } = entry.event;
      if (seq < this.expected) continue;
      if (seq > this.expected) break; // still replaying: these will be read from disk
      this.push(entry);
      added = true;
    }
    if (!added) return;
    if (this.buffered > this.limit || this.bytes > this.limitBytes) this.overflow();
    this.wake();
  }

  /** Called by the log when it closes. */
  sourceClosed(): void {
    this.wake();
  }

  next(): Promise<Result> {
    // Serialise concurrent next() calls so each gets its own item in order.
    const previous = this.pulling;
    const pull = previous ? previous.then(() => this.pull()) : this.pull();
    this.pulling = pull;
    return pull;
  }

  /**
   * Up to `max` items that are available right now (held, or readable from disk), without
   * waiting; for batching. Only call it while no next() is pending.
   */
  takeAvailable(max: number): SubscriptionItem[] {
    const out: SubscriptionItem[] = [];
    while (out.length < max && this.waiter === undefined) {
      const result = this.take();
      if (result === undefined || result.done) break;
      out.push(result.value);
      if (isResync(result.value)) break;
    }
    return out;
  }

  /** Unsubscribes: drops what is held; a pending next() resolves as done. */
  return(): Promise<Result> {
    this.buffer = [];
    this.head = 0;
    this.bytes = 0;
    this.terminal = 'done';
    this.source.detach(this);
    this.wake();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private pull(): Promise<Result> {
    const now = this.take();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<Result>((resolve) => {
      this.waiter = resolve;
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    const result = this.take();
    if (result === undefined) return;
    this.waiter = undefined;
    waiter(result);
  }

  private take(): Result | undefined {
    if (this.head < this.buffer.length) return this.shift();
    if (this.terminal !== undefined) return this.end();
    if (this.source.closed) {
      // Whatever was not delivered can no longer be read here; the client re-attaches later.
      this.terminal = this.expected <= this.source.lastSeq ? { type: 'resync', fromSeq: this.expected } : 'done';
      return this.end();
    }
    if (this.expected > this.source.lastSeq) return undefined;
    for (const entry of this.source.readEntries(this.expected, this.pageSize)) this.push(entry);
    return this.head < this.buffer.length ? this.shift() : undefined;
  }

  private shift(): Result {
    const entry = this.buffer[this.head] as Entry;
    this.buffer[this.head++] = undefined;
    this.bytes -= entry.bytes;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return { value: entry.event, done: false };
  }

  private end(): Result {
    const terminal = this.terminal;
    this.terminal = 'done';
    return terminal === undefined || terminal === 'done' ? DONE : { value: terminal, done: false };
  }

  private push(entry: Entry): void {
    this.buffer.push(entry);
    this.bytes += entry.bytes;
    this.expected = entry.event.seq + 1;
  }

  /** Drops everything held and ends with a resync from the first event not delivered. */
  private overflow(): void {
    const first = this.buffer[this.head] as Entry;
    this.buffer = [];
    this.head = 0;
    this.bytes = 0;
    this.finish({ type: 'resync', fromSeq: first.event.seq });
  }

  private finish(terminal: ResyncItem | 'done'): void {
    if (this.terminal === undefined) this.terminal = terminal;
    this.source.detach(this);
    this.wake();
  }
}
