import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Clock, Logger } from '@sylk/core';
import type { PipelinesConfig } from '@sylk/config';
import { FairShare, PipelineScheduler, ResourceBroker, ResourcePool } from '@sylk/resources';

/** `pipelines.max_concurrent`, 0 meaning the CPU cores. */
function pipelineSlots(config: PipelinesConfig): number {
  return config.max_concurrent > 0 ? config.max_concurrent : availableParallelism();
}

/** A task's bundle, granted all or nothing before its agent starts (what a coding agent holds open at most). */
const TASK_BUNDLE = { fileHandles: 64, network: 2, memoryMb: 256 } as const;
/** Connections to providers and the network proxy the tasks may hold together. */
const NETWORK_CONNECTIONS = 64;

/** The soft `RLIMIT_NOFILE` (Linux /proc; elsewhere a conservative guess). */
function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    if (Number.isFinite(soft) && soft > 0) return soft;
  } catch {
    // not Linux
  }
  return 1024;
}

/**
 * The machine as every session shares it: the subprocess pool (2 × cores, a fifth kept for the
 * user's own commands, pipeline commands preemptible), the pools a task's bundle comes from, one
 * fair share across sessions, and the scheduler of every session's delegated tasks.
 */
export class DaemonResources {
  readonly shares: FairShare;
  readonly scheduler: PipelineScheduler;
  readonly subprocesses: ResourcePool;
  readonly broker: ResourceBroker;
  private readonly pools: ResourcePool[];

  constructor(opts: { pipelines: () => PipelinesConfig; maxSubprocesses: number; clock: Clock; logger: Logger }) {
    const { clock, logger } = opts;
    this.shares = new FairShare({ clock, logger });
    this.scheduler = new PipelineScheduler({
      maxConcurrent: pipelineSlots(opts.pipelines()),
      shares: this.shares,
      clock,
      logger: logger.child({ component: 'scheduler' }),
    });
    this.subprocesses = new ResourcePool({
      name: 'subprocesses',
      capacity: opts.maxSubprocesses > 0 ? opts.maxSubprocesses : 2 * availableParallelism(),
      clock,
      logger,
    });
    const fileHandles = new ResourcePool({
      name: 'file_handles',
      // Half of what the process may open: sylkd's own databases, logs and sockets keep the rest.
      capacity: Math.max(TASK_BUNDLE.fileHandles, Math.floor(openFileLimit() / 2)),
      clock,
      logger,
    });
    const network = new ResourcePool({ name: 'network', capacity: NETWORK_CONNECTIONS, clock, logger });
    this.pools = [this.subprocesses, fileHandles, network];
    this.broker = new ResourceBroker({
      pools: { fileHandles, network },
      memoryMb: Math.max(1024, Math.floor(totalmem() / 1024 / 1024 / 4)),
      clock,
      logger,
    });
  }

  /** A task's bundle (file handles, connections, a memory estimate), or a `resources.pool_timeout` error. */
  taskBundle(
    owner: { sessionId: string; pipelineId: string },
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<{ release(): void }> {
    return this.broker.acquire(owner, TASK_BUNDLE, { signal, timeoutMs });
  }

  /** `pipelines.max_concurrent` changed. */
  reconfigure(config: PipelinesConfig): void {
    this.scheduler.setLimit(pipelineSlots(config));
  }

  /** Every pool's figures (`sylk top`). */
  poolStats(): Array<ReturnType<ResourcePool['stats']> & { backgroundLimit: number }> {
    // Only subprocess slots are held by background processes.
    return this.pools.map((p) => ({
      ...p.stats(),
      backgroundLimit: p === this.subprocesses ? p.backgroundLimit : 0,
    }));
  }

  close(): void {
    this.shares.close();
  }
}
