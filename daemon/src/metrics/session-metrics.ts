import type { SessionHost } from '../sessions/host.js';
import type { MetricsRegistry } from './registry.js';

/** Seconds; a group commit of an event log is a SQLite transaction in WAL mode. */
const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];
const WINDOW_MS = 60_000;
const SLICE_MS = 10_000;

/**
 * Events appended over the last minute, in six 10-second slices on the events' own timestamps:
 * what `sylk metrics` shows as events per second without a second scrape to diff against.
 */
class MinuteRate {
  private readonly counts = new Float64Array(WINDOW_MS / SLICE_MS);
  private readonly slices = new Float64Array(WINDOW_MS / SLICE_MS).fill(-1);

  add(n: number, ts: number): void {
    const slice = Math.floor(ts / SLICE_MS);
    const i = slice % this.counts.length;
    if (this.slices[i] !== slice) {
      this.slices[i] = slice;
      this.counts[i] = 0;
    }
    this.counts[i] = (this.counts[i] as number) + n;
  }

  /** Per second over the last minute (or since `since`, when that is later). */
  perSecond(now: number, since: number): number {
    const current = Math.floor(now / SLICE_MS);
    let sum = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const age = current - (this.slices[i] as number);
      if (age >= 0 && age < this.counts.length) sum += this.counts[i] as number;
    }
    const seconds = Math.max(1, Math.min(WINDOW_MS, now - since) / 1000);
    return sum / seconds;
  }
}

/**
 * Sessions (by state, loaded, running a turn, attached clients, turns), the events their logs
 * append and how long those group commits take, and the background processes they keep running.
 */
export class SessionMetrics {
  private readonly turns;
  private readonly rate = new MinuteRate();

  constructor(private readonly registry: MetricsRegistry) {
    this.turns = registry.counter({
      name: 'sylk_session_turns_total',
      help: 'Turns that ended, by outcome (done, failed).',
      labelNames: ['outcome'],
    });
  }

  /** A session's turn ended (the runtime's hook). */
  readonly turnEnded = (failed: boolean): void => this.turns.inc(1, failed ? 'failed' : 'done');

  /** Reads the host at scrape time and follows its logs' commits; returns the unsubscribe. */
  watch(host: SessionHost, clock: { now(): number }, startedAt: number): () => void {
    const r = this.registry;
    const events = r.counter({
      name: 'sylk_session_events_total',
      help: 'Events appended to session logs (committed).',
    });
    const commits = r.histogram({
      name: 'sylk_storage_commit_duration_seconds',
      help: 'Duration of event-log group commits (one SQLite transaction each).',
      buckets: COMMIT_BUCKETS,
    });
    r.collect({
      name: 'sylk_session_events_per_second',
      help: 'Events appended to session logs per second over the last minute.',
      type: 'gauge',
      collect: (emit) => emit(this.rate.perSecond(clock.now(), startedAt)),
    });
    r.collect({
      name: 'sylk_session_states',
      help: 'Sessions on disk, by state.',
      type: 'gauge',
      labelNames: ['state'],
      collect: (emit) => {
        const byState = new Map<string, number>();
        for (const s of host.registry.list()) byState.set(s.state, (byState.get(s.state) ?? 0) + 1);
        for (const [state, n] of byState) emit(n, state);
      },
    });
    r.collect({
      name: 'sylk_session_loaded',
      help: 'Sessions whose runtime is in memory.',
      type: 'gauge',
      collect: (emit) => emit(host.loadedRuntimes().length),
    });
    r.collect({
      name: 'sylk_session_active',
      help: 'Sessions running a turn or a compaction now.',
      type: 'gauge',
      collect: (emit) => emit(host.loadedRuntimes().filter((rt) => rt.turnRunning).length),
    });
    r.collect({
      name: 'sylk_session_attach_clients',
      help: 'Clients attached to sessions (CLI attach streams).',
      type: 'gauge',
      collect: (emit) => emit(host.loadedRuntimes().reduce((n, rt) => n + rt.attachedClients, 0)),
    });
    r.collect({
      name: 'sylk_tool_background_running',
      help: 'Background processes (dev servers, watchers) running now.',
      type: 'gauge',
      collect: (emit) => emit(host.backgroundProcesses().filter((p) => p.running).length),
    });
    return host.logs.onCommit((_session, _seq, ts, n, commitMs) => {
      events.inc(n);
      this.rate.add(n, ts);
      commits.observe(commitMs / 1000);
    });
  }
}
