/** Gate counters plus latency (accept → settle) mean over all and p99 over the last 1,024. */
export interface GateStats {
  submitted: number;
  completed: number;
  failed: number;
  rejected: number;
  preempted: number;
  retried: number;
  queued: { user: number; pipeline: number };
  /** Accepted but waiting outside the queues: provider paused, breaker open, retry backoff. */
  waiting: number;
  inFlight: number;
  latencyMs: { mean: number; p99: number };
}

export class LatencyStats {
  private readonly ring = new Float64Array(1024);
  private n = 0;
  private sum = 0;

  add(ms: number): void {
    this.ring[this.n % this.ring.length] = ms;
    this.n++;
    this.sum += ms;
  }

  get mean(): number {
    return this.n === 0 ? 0 : this.sum / this.n;
  }

  get p99(): number {
    const count = Math.min(this.n, this.ring.length);
    if (count === 0) return 0;
    const sorted = Array.from(this.ring.subarray(0, count)).sort((a, b) => a - b);
    return sorted[Math.min(count - 1, Math.ceil(0.99 * count) - 1)] ?? 0;
  }
}
