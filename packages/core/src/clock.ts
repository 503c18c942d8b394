/** Injected time so tests are deterministic (no direct Date.now in logic). */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/**
 * A clock that only moves when told to; for unit tests.
 * @internal exported for tests
 */
export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;
  constructor(start = 0) {
    this.wall = start;
  }
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}
