/** Opaque timer handle so tests can inject a manual scheduler. */
export type TimerHandle = unknown;

/** One-shot timers, injected so unit tests of what waits (queues, retries, timeouts) are deterministic. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Real timers, unref'd so a pending wait never keeps the daemon alive. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
