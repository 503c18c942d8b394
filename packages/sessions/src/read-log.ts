import type { EventLog } from './event-log.js';
import { isResync, type SessionEvent } from './events.js';
import type { SubscribeOptions } from './subscription.js';

export interface ReadLogOptions {
  /** Go on with live events after the end of the log, until `signal` aborts or the log closes. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Events per read from disk. Default 1,000. */
  pageSize?: number;
  /** For the live part (`follow`). */
  subscribe?: SubscribeOptions;
}

/**
 * A log's events from `fromSeq` for a reader that pulls at its own pace (ReadEvents, `sylk logs`),
 * each once and in order. Without `follow` it ends at the event that was last when it started,
 * reading pages from disk, so the events appended meanwhile cannot pile up for it. With `follow`
 * it goes on live; a reader that falls further behind than a subscription holds is not told to
 * resync as an attached client is: it goes on from disk where it fell behind.
 */
export async function* readLog(
  log: EventLog,
  fromSeq: number,
  options: ReadLogOptions = {},
): AsyncGenerator<SessionEvent, void, undefined> {
  const { signal } = options;
  let next = Math.max(1, Math.floor(fromSeq));
  if (options.follow !== true) {
    for await (const event of log.replay(next, Math.max(1, options.pageSize ?? 1000), log.lastSeq)) {
      if (signal?.aborted === true) return;
      yield event;
    }
    return;
  }
  while (signal?.aborted !== true && !log.closed) {
    const sub = log.subscribe(next, options.subscribe);
    // An abort ends a read that is waiting for the next event, not only the one after it.
    const stop = () => void sub.return();
    signal?.addEventListener('abort', stop, { once: true });
    let behind = false;
    try {
      for await (const item of sub) {
        if (isResync(item)) {
          next = item.fromSeq;
          behind = true;
          break;
        }
        yield item;
        next = item.seq + 1;
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      await sub.return();
    }
    if (!behind) return;
  }
}
