import { BinaryHeap } from './heap.js';

/** What the dual queue needs to know about an entry. */
export interface QueueEntry {
  readonly user: boolean;
  readonly priority: number;
  /** Monotonic admission sequence: FIFO within a priority. */
  readonly seq: number;
  /** Re-queued after preemption/backoff: goes ahead of its priority peers. */
  ahead: boolean;
  /** Lazily deleted: cancelled entries are skipped when they reach the front. */
  queued: boolean;
}

function before(a: QueueEntry, b: QueueEntry): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.ahead !== b.ahead) return a.ahead;
  return a.seq < b.seq;
}

/**
 * An unbounded FIFO for user-interactive requests that always drains first, and a
 * bounded binary-heap priority queue for pipeline requests. Re-queues bypass the bound: an
 * accepted request is never dropped.
 */
export class DualQueue<T extends QueueEntry> {
  private userItems: T[] = [];
  private userHead = 0;
  private userLive = 0;
  private readonly pipeline = new BinaryHeap<T>(before);
  private pipelineLive = 0;

  constructor(readonly capacity: number) {}

  get userDepth(): number {
    return this.userLive;
  }

  get pipelineDepth(): number {
    return this.pipelineLive;
  }

  /** Adds a new request; false when the pipeline queue is full (user requests always fit). */
  offer(entry: T): boolean {
    if (entry.user) {
      this.userItems.push(entry);
      this.userLive++;
    } else {
      if (this.pipelineLive >= this.capacity) return false;
      this.pipeline.push(entry);
      this.pipelineLive++;
    }
    entry.queued = true;
    return true;
  }

  /** Puts an accepted request back at the front of its class, ignoring the bound. */
  requeue(entry: T): void {
    entry.ahead = true;
    entry.queued = true;
    if (entry.user) {
      if (this.userHead > 0) this.userItems[--this.userHead] = entry;
      else this.userItems.unshift(entry);
      this.userLive++;
    } else {
      this.pipeline.push(entry);
      this.pipelineLive++;
    }
  }

  /** Next request to run: user FIFO first, then the highest-priority pipeline request. */
  shift(): T | undefined {
    while (this.userHead < this.userItems.length) {
      const entry = this.userItems[this.userHead] as T;
      this.userItems[this.userHead++] = undefined as unknown as T;
      if (this.userHead > 1024 && this.userHead * 2 > this.userItems.length) {
        this.userItems = this.userItems.slice(this.userHead);
        this.userHead = 0;
      }
      if (entry.queued) {
        entry.queued = false;
        this.userLive--;
        return entry;
      }
    }
    for (let entry = this.pipeline.pop(); entry !== undefined; entry = this.pipeline.pop()) {
      if (entry.queued) {
        entry.queued = false;
        this.pipelineLive--;
        return entry;
      }
    }
    return undefined;
  }

  /** Removes a waiting entry (cancellation); false when it was not queued. */
  remove(entry: T): boolean {
    if (!entry.queued) return false;
    entry.queued = false;
    if (entry.user) this.userLive--;
    else this.pipelineLive--;
    return true;
  }

  /** Empties both queues, returning the live entries. */
  drain(): T[] {
    const live = [...this.userItems.slice(this.userHead), ...this.pipeline.drain()].filter((e) => e?.queued);
    for (const e of live) e.queued = false;
    this.userItems = [];
    this.userHead = 0;
    this.userLive = 0;
    this.pipelineLive = 0;
    return live;
  }
}
