import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricsRegistry } from './registry.js';

/** Sampling interval of the event-loop delay monitor (ms). */
const RESOLUTION_MS = 20;
/** The delay figures cover windows of this length (the previous full one once there is one). */
const WINDOW_MS = 60_000;

/**
 * The event-loop delay over the last minute. The monitor samples on a timer, so it starts with
 * the first scrape: a daemon nobody watches never pays for it.
 */
class LoopDelay {
  private histogram: IntervalHistogram | undefined;
  private windowStart = 0;
  private last: { p50: number; p99: number; max: number } | undefined;

  constructor(private readonly now: () => number) {}

  /** Figures in seconds (zeros on the first scrape, which starts the monitor). */
  read(): { p50: number; p99: number; max: number } {
    const h = this.histogram;
    if (h === undefined) {
      this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      this.histogram.enable();
      this.windowStart = this.now();
      return { p50: 0, p99: 0, max: 0 };
    }
    const current = {
      p50: h.count > 0 ? h.percentile(50) / 1e9 : 0,
      p99: h.count > 0 ? h.percentile(99) / 1e9 : 0,
      max: h.count > 0 ? h.max / 1e9 : 0,
    };
    if (this.now() - this.windowStart >= WINDOW_MS) {
      this.last = current;
      h.reset();
      this.windowStart = this.now();
    }
    return this.last ?? current;
  }

  close(): void {
    this.histogram?.disable();
  }
}

/** sylkd's own figures: memory, CPU, uptime, event-loop delay. Returns what stops the delay monitor. */
export function watchProcess(r: MetricsRegistry, clock: { now(): number }, startedAt: number): () => void {
  const delay = new LoopDelay(() => clock.now());
  r.collect({
    name: 'sylk_process_resident_memory_bytes',
    help: "sylkd's resident set size.",
    type: 'gauge',
    collect: (emit) => emit(process.memoryUsage.rss()),
  });
  r.collect({
    name: 'sylk_process_heap_bytes',
    help: 'V8 heap, by kind (used, total) and memory outside it (external, array_buffers).',
    type: 'gauge',
    labelNames: ['kind'],
    collect: (emit) => {
      const m = process.memoryUsage();
      emit(m.heapUsed, 'used');
      emit(m.heapTotal, 'total');
      emit(m.external, 'external');
      emit(m.arrayBuffers, 'array_buffers');
    },
  });
  r.collect({
    name: 'sylk_process_cpu_seconds_total',
    help: 'CPU time sylkd used, by mode (user, system).',
    type: 'counter',
    labelNames: ['mode'],
    collect: (emit) => {
      const c = process.cpuUsage();
      emit(c.user / 1e6, 'user');
      emit(c.system / 1e6, 'system');
    },
  });
  r.collect({
    name: 'sylk_process_uptime_seconds',
    help: 'Seconds since sylkd started.',
    type: 'gauge',
    collect: (emit) => emit((clock.now() - startedAt) / 1000),
  });
  r.collect({
    name: 'sylk_process_event_loop_delay_seconds',
    help: 'Event-loop delay over the last minute, by stat (p50, p99, max); measured from the first scrape on.',
    type: 'gauge',
    labelNames: ['stat'],
    collect: (emit) => {
      const d = delay.read();
      emit(d.p50, 'p50');
      emit(d.p99, 'p99');
      emit(d.max, 'max');
    },
  });
  return () => delay.close();
}
