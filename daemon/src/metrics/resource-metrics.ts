import type { DaemonResources } from '../pipelines/daemon-resources.js';
import type { MetricsRegistry } from './registry.js';

/** Delegated tasks (the scheduler's counts and slots) and the pools every session shares, read at scrape time. */
export function watchResources(r: MetricsRegistry, resources: DaemonResources): void {
  r.collect({
    name: 'sylk_task_states',
    help: 'Delegated tasks the scheduler holds, by state (running, queued, waiting, paused).',
    type: 'gauge',
    labelNames: ['state'],
    collect: (emit) => {
      const s = resources.scheduler.snapshot();
      emit(s.running, 'running');
      emit(s.queued, 'queued');
      emit(s.waiting, 'waiting');
      emit(s.paused, 'paused');
    },
  });
  r.collect({
    name: 'sylk_task_slots',
    help: 'Delegated tasks that may run at once (pipelines.max_concurrent).',
    type: 'gauge',
    collect: (emit) => emit(resources.scheduler.snapshot().limit),
  });
  const pools = (
    name: string,
    help: string,
    type: 'gauge' | 'counter',
    pick: (p: ReturnType<DaemonResources['poolStats']>[number]) => number,
  ) =>
    r.collect({
      name,
      help,
      type,
      labelNames: ['pool'],
      collect: (emit) => {
        for (const p of resources.poolStats()) emit(pick(p), p.name);
      },
    });
  pools(
    'sylk_pool_capacity',
    'Units of each shared pool (subprocesses, file_handles, network).',
    'gauge',
    (p) => p.capacity,
  );
  pools('sylk_pool_in_use', 'Units held now, by pool.', 'gauge', (p) => p.inUse);
  pools('sylk_pool_waiting', 'Acquisitions waiting for a unit, by pool.', 'gauge', (p) => p.waiting);
  pools('sylk_pool_background', 'Units held by background processes, by pool.', 'gauge', (p) => p.background);
  pools(
    'sylk_pool_timeouts_total',
    'Pipeline acquisitions that gave up waiting, by pool.',
    'counter',
    (p) => p.timeouts,
  );
  pools(
    'sylk_pool_preemptions_total',
    "Pipeline holders paused to lend their units to the user's work, by pool.",
    'counter',
    (p) => p.preemptions,
  );
}
