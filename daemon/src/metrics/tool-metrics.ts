import type { ExecResult } from '@sylk/tools';
import type { MetricsRegistry } from './registry.js';

/** Seconds; commands run from milliseconds (`true`) to half an hour (a test suite at the ceiling). */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** What a session's executor tells the metrics (see sessions/audit-hooks.ts). */
export interface ToolRecorder {
  spawned(background: boolean): void;
  exited(result: ExecResult, background: boolean): void;
}

const mode = (background: boolean) => (background ? 'background' : 'foreground');

function outcome(r: ExecResult): string {
  if (r.timedOut) return 'timeout';
  if (r.pid === 0) return 'not_started';
  if (r.exitCode === null) return 'signal';
  return r.exitCode === 0 ? 'ok' : 'error';
}

/** Commands the sessions and their delegated tasks run: spawns, exits by outcome, durations, kills. */
export function toolMetrics(registry: MetricsRegistry): ToolRecorder {
  const spawns = registry.counter({
    name: 'sylk_tool_spawns_total',
    help: 'Processes started for agent commands, by mode (foreground, background).',
    labelNames: ['mode'],
  });
  const exits = registry.counter({
    name: 'sylk_tool_exits_total',
    help: 'Agent commands that ended, by mode and outcome (ok, error, timeout, signal, not_started).',
    labelNames: ['mode', 'outcome'],
  });
  const duration = registry.histogram({
    name: 'sylk_tool_duration_seconds',
    help: 'Duration of agent commands, by mode.',
    labelNames: ['mode'],
    buckets: DURATION_BUCKETS,
  });
  const kills = registry.counter({
    name: 'sylk_tool_kills_total',
    help: 'Commands stopped by sylk (timeout, cancel, session stop), by the step that ended them (exit, SIGINT, SIGTERM, SIGKILL, unkillable).',
    labelNames: ['ended_by'],
  });
  return {
    spawned: (background) => spawns.inc(1, mode(background)),
    exited: (r, background) => {
      exits.inc(1, mode(background), outcome(r));
      duration.observe(r.durationMs / 1000, mode(background));
      if (r.killed !== undefined) kills.inc(1, r.killed.endedBy);
    },
  };
}
