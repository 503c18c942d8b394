/** Opaque timer handle so tests can inject fake timers. */
export type TimerHandle = unknown;

/** The timers the scheduler, fair share and pools use (injected so unit tests are deterministic). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Real timers, unref'd so a pending queue timeout never keeps the daemon alive. */
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
