/**
 * sylkd's pressure control (docs/operations.md#pressure): the memory monitor with its budgeted
 * components, the disk quota on Sylk's own data with its cleaners, and the degradation
 * controller that pauses and resumes pipelines. Level changes are logged and told to every
 * loaded session as a `notice`; `sylk status` and `sylk top` show the state.
 */
import { totalmem } from 'node:os';
import { errorMessage, type Clock, type Logger } from '@sylk/core';
import type { ConfigStore, SylkConfig, SylkDirs } from '@sylk/config';
import {
  DEFAULT_MEMORY_THRESHOLDS,
  DegradationController,
  DiskQuota,
  DiskUsage,
  MemoryMonitor,
  defaultMemoryCeilingBytes,
  formatBytes,
  pressureRank,
  type DiskLevel,
  type DiskState,
  type LevelChange,
  type MemoryThresholds,
  type PausablePipelines,
  type PressureLevel,
} from '@sylk/resources';
import type { SessionHost } from '../sessions/host.js';
import type { ManagedDatabase } from '../storage-guard.js';
import { diskCleaners } from './cleaners.js';
import { backgroundOutput, eventBuffers, sessionRuntimes } from './components.js';
import { pressureReadings } from './readings.js';

const MiB = 1024 * 1024;

/** Each component's budget, as a fraction of the memory ceiling. */
const BUDGETS = { 'event-buffers': 0.1, 'background-output': 0.05, 'session-runtimes': 0.3 } as const;

const DISK_QUOTA_FIX =
  'Delete sessions you no longer need (`sylk rm <session>`), or raise the quota: set resources.disk.quota_mb ' +
  '(e.g. `resources: { disk: { quota_mb: 4096 } }` in your user config, `sylk config path` shows where, ' +
  'or SYLK_RESOURCES_DISK_QUOTA_MB=4096); it applies without a restart.';

const MEMORY_EFFECT: Record<PressureLevel, string> = {
  normal: 'back to normal; paused pipelines resume one at a time',
  evict: 'caches and buffers over their budget are being shrunk',
  pause_new_pipelines: 'no new pipeline starts and the lowest-priority ones are paused',
  pause_all_but_user: 'every pipeline is paused; only your own requests go on',
};

const DISK_EFFECT: Record<DiskLevel, string> = {
  ok: 'back under the warning level',
  warn: 'old data will be cleaned up at 90%',
  clean: 'old temp files, staging dirs, output spools and backups are being deleted',
  full: 'new pipelines are refused until space is freed',
};

export interface DaemonPressureOptions {
  dirs: SylkDirs;
  config: ConfigStore;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
  logger: Logger;
  sessions: SessionHost;
  databases: () => ManagedDatabase[];
}

/** Time-ordered memory and disk control of the daemon; start() after the sessions, close() before them. */
export class DaemonPressure {
  readonly memory: MemoryMonitor;
  readonly disk: DiskQuota;
  private readonly usage: DiskUsage;
  private degradation: DegradationController | undefined;
  private pipelines: PausablePipelines | undefined;
  private unsubscribe: (() => void) | undefined;
  private thresholdsWarned = false;
  /** Told after components released memory (sylkd's idle trim then collects it). */
  onEvicted: (() => void) | undefined;

  constructor(private readonly opts: DaemonPressureOptions) {
    const readings = pressureReadings(opts.env, opts.dirs.data);
    const log = opts.logger;
    const onError = (err: unknown, where: string) =>
      log.warn({ err: errorMessage(err), where }, 'pressure check failed');
    this.memory = new MemoryMonitor({
      ceilingBytes: () => this.ceilingBytes(),
      thresholds: () => this.thresholds(),
      hysteresis: () => this.cfg().memory.hysteresis,
      readUsedBytes: readings.usedMemoryBytes,
      intervalMs: this.cfg().memory.sample_interval_ms,
      clock: opts.clock,
      onLevelChange: (c) => this.memoryChanged(c),
      onEvicted: (bytes) => {
        log.info({ bytes }, 'memory pressure: components released memory');
        this.onEvicted?.();
      },
      onError,
    });
    this.usage = new DiskUsage({ roots: [opts.dirs.data, opts.dirs.state, opts.dirs.cache], clock: opts.clock });
    this.disk = new DiskQuota({
      measure: () => this.usage.refresh(),
      configuredBytes: () => this.cfg().disk.quota_mb * MiB,
      freeBytes: readings.freeDiskBytes,
      levels: () => ({ warnAt: this.cfg().disk.warn_at, cleanAt: this.cfg().disk.clean_at }),
      cleaners: diskCleaners({
        dirs: opts.dirs,
        clock: opts.clock,
        logger: log,
        olderThanMs: () => this.cfg().disk.clean_older_than_hours * 3_600_000,
        isActiveSession: (id) => this.isActiveSession(id),
        livePipelines: () => this.pipelines?.list().map((p) => p.id) ?? [],
        databases: opts.databases,
        removed: (path) => this.usage.forget(path),
      }),
      intervalMs: this.cfg().disk.check_interval_seconds * 1000,
      clock: opts.clock,
      fix: DISK_QUOTA_FIX,
      onLevelChange: (state, previous) => this.diskChanged(state, previous),
      onCleanup: (freed, state) =>
        log.warn(
          { freed, usedBytes: state.usedBytes, quotaBytes: state.quotaBytes },
          'disk quota: cleaned up old data',
        ),
      onError,
    });
    this.setBudgets();
  }

  private cfg(): SylkConfig['resources'] {
    return this.opts.config.current().config.resources;
  }

  private ceilingBytes(): number {
    const mb = this.cfg().memory.ceiling_mb;
    return mb > 0 ? mb * MiB : defaultMemoryCeilingBytes(totalmem());
  }

  private thresholds(): MemoryThresholds {
    const m = this.cfg().memory;
    const t = { evict: m.evict_at, pauseNewPipelines: m.pause_pipelines_at, pauseAllButUser: m.pause_all_at };
    if (t.evict < t.pauseNewPipelines && t.pauseNewPipelines < t.pauseAllButUser) return t;
    if (!this.thresholdsWarned)
      this.opts.logger.warn(
        { thresholds: t },
        'resources.memory: evict_at < pause_pipelines_at < pause_all_at does not hold; using the defaults',
      );
    this.thresholdsWarned = true;
    return DEFAULT_MEMORY_THRESHOLDS;
  }

  private setBudgets(): void {
    const ceiling = this.ceilingBytes();
    const s = this.opts.sessions;
    this.memory.register(eventBuffers(s.logs), Math.round(ceiling * BUDGETS['event-buffers']));
    this.memory.register(
      backgroundOutput(() => s.backgroundProcesses()),
      Math.round(ceiling * BUDGETS['background-output']),
    );
    this.memory.register(sessionRuntimes(s), Math.round(ceiling * BUDGETS['session-runtimes']));
  }

  private isActiveSession(sessionId: string): boolean {
    if (this.opts.sessions.isLoaded(sessionId)) return true;
    const state = this.opts.sessions.registry.list().find((r) => r.id === sessionId)?.state;
    return state === 'running' || state === 'waiting_approval';
  }

  start(): void {
    this.memory.start();
    this.disk.start();
    // Budgets follow the ceiling; intervals apply from the next start of the loops.
    this.unsubscribe = this.opts.config.onSectionChange('resources', () => {
      this.setBudgets();
      this.memory.stop();
      this.memory.start();
      this.disk.stop();
      this.disk.start();
    });
  }

  /**
   * The pipelines the degradation controller pauses and resumes (the daemon's scheduler). Until
   * this is called, memory pressure only evicts.
   */
  attachPipelines(pipelines: PausablePipelines): void {
    this.pipelines = pipelines;
    this.degradation?.stop();
    this.degradation = new DegradationController({
      pipelines,
      level: () => this.memory.currentLevel,
      intervalMs: this.cfg().memory.sample_interval_ms,
      onAction: (a) =>
        this.opts.logger.warn(
          { pipeline: a.pipeline.id, session: a.pipeline.sessionId, level: a.level },
          `memory pressure: pipeline ${a.action === 'pause' ? 'paused' : 'resumed'}`,
        ),
      onError: (err) => this.opts.logger.warn({ err: errorMessage(err) }, 'memory pressure: pause or resume failed'),
    });
    this.degradation.start();
  }

  /** While memory pressure admits no new pipeline: the reason a new one is submitted paused. */
  holdReason(): string | undefined {
    return this.degradation?.holdReason();
  }

  /** A pipeline submitted paused for {@link holdReason}: resumed with the others when pressure eases. */
  held(pipelineId: string): void {
    this.degradation?.held(pipelineId);
  }

  /** Throws `resources.disk_quota_full` when Sylk's data has reached its disk quota. */
  assertPipelineAdmissible(): void {
    this.disk.assertRoom('new pipeline');
  }

  private memoryChanged(c: LevelChange): void {
    const pct = Math.round((100 * c.usedBytes) / c.ceilingBytes);
    const message =
      `Memory pressure ${c.to.replaceAll('_', ' ')}: sylkd uses ${formatBytes(c.usedBytes)} of its ` +
      `${formatBytes(c.ceilingBytes)} ceiling (${pct}%, resources.memory.ceiling_mb); ${MEMORY_EFFECT[c.to]}.`;
    const up = pressureRank(c.to) > pressureRank(c.from);
    this.opts.logger[up ? 'warn' : 'info']({ from: c.from, to: c.to, usedBytes: c.usedBytes }, message);
    this.tellSessions(message, 'resources.memory_pressure');
  }

  private diskChanged(s: DiskState, previous: DiskLevel): void {
    const pct = Math.round((100 * s.usedBytes) / Math.max(1, s.quotaBytes));
    const message =
      `Disk quota ${s.level}: Sylk's data uses ${formatBytes(s.usedBytes)} of its ${formatBytes(s.quotaBytes)} quota ` +
      `(${pct}%, resources.disk.quota_mb); ${DISK_EFFECT[s.level]}.`;
    const worse = ['ok', 'warn', 'clean', 'full'].indexOf(s.level) > ['ok', 'warn', 'clean', 'full'].indexOf(previous);
    this.opts.logger[worse ? 'warn' : 'info']({ from: previous, to: s.level, usedBytes: s.usedBytes }, message);
    this.tellSessions(message, 'resources.disk_quota');
  }

  /** A `notice` in every loaded session (those a user may be watching). */
  private tellSessions(message: string, code: string): void {
    for (const rt of this.opts.sessions.loadedRuntimes()) {
      this.opts.sessions.logs
        .get(rt.id)
        .append('notice', { message, code })
        .catch((err: unknown) =>
          this.opts.logger.warn({ session: rt.id, err: errorMessage(err) }, 'could not write a pressure notice'),
        );
    }
  }

  /** `sylk status` lines. */
  components(): { name: string; state: string; detail: string }[] {
    const m = this.memory.state();
    const d = this.disk.state();
    return [
      {
        name: 'memory',
        state: m.level,
        detail: `${formatBytes(m.usedBytes)} of ${formatBytes(m.ceilingBytes)} ceiling`,
      },
      {
        name: 'disk',
        state: d.level,
        detail: `${formatBytes(d.usedBytes)} of ${formatBytes(d.quotaBytes)} quota${d.quotaDerived ? ' (default)' : ''}`,
      },
    ];
  }

  /** The `pressure` part of `sylk top`. */
  top() {
    const m = this.memory.state();
    const d = this.disk.state();
    return {
      memoryLevel: m.level,
      memoryUsedBytes: BigInt(m.usedBytes),
      memoryCeilingBytes: BigInt(m.ceilingBytes),
      diskLevel: d.level,
      diskUsedBytes: BigInt(d.usedBytes),
      diskQuotaBytes: BigInt(d.quotaBytes),
      pausedPipelines: this.degradation?.pausedByPressure().length ?? 0,
      components: m.components.map((c) => ({
        name: c.name,
        bytes: BigInt(Math.round(c.bytes)),
        budgetBytes: BigInt(c.budgetBytes),
        evictedBytes: BigInt(Math.round(c.evictedBytes)),
      })),
    };
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.memory.stop();
    this.disk.stop();
    this.degradation?.stop();
    await this.disk.idle();
  }
}
