import { type Clock, type Logger, type Timers } from '@sylk/core';
import { cancelledWait } from './pool-errors.js';
import { ResourcePool, type PoolLease, type PoolOwner, type PoolStats } from './pool.js';

/** What a pipeline declares up front; absent or 0: none of that resource. */
export interface BundleRequest {
  subprocess?: number;
  fileHandles?: number;
  network?: number;
  /** Estimates, counted against the broker's memory and disk budgets. */
  memoryMb?: number;
  diskMb?: number;
}

export interface BundleOptions {
  /** Total wait for the whole bundle before `resources.pool_timeout` (default: the broker's). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** User-interactive bundles take the pools' reserves and preempt, never wait on budgets, never fail. */
  user?: boolean;
  priority?: number;
  /** Makes the bundle's pool leases preemptible by user work (pause the pipeline). */
  onPreempt?: (lease: PoolLease) => void | Promise<void>;
  onResume?: (lease: PoolLease) => void;
}

export interface Bundle {
  readonly owner: PoolOwner;
  readonly request: Readonly<BundleRequest>;
  /** Wall-clock ms when the whole bundle was granted. */
  readonly since: number;
  /** Releases every part (idempotent). */
  release(): void;
}

export interface ResourceBrokerOptions {
  /** The daemon's pools; a resource without a pool is not limited. */
  pools: { fileHandles?: ResourcePool; network?: ResourcePool; subprocess?: ResourcePool };
  /** Budgets for the declared estimates; absent: not limited. */
  memoryMb?: number;
  diskMb?: number;
  clock: Clock;
  timers?: Timers;
  logger?: Logger;
  /** Default wait for a whole bundle (default 30 s). */
  timeoutMs?: number;
}

type Part = keyof BundleRequest;

/** The one order every bundle is taken in: budgets first, then pools (file → network → subprocess). */
const ORDER: readonly Part[] = ['memoryMb', 'diskMb', 'fileHandles', 'network', 'subprocess'];

/**
 * Grants a pipeline's whole bundle or nothing. Parts are taken in one fixed order, each part's
 * units at once, so two bundles never wait on each other in a cycle; any failure, timeout or
 * cancellation releases what was already taken.
 */
export class ResourceBroker {
  private readonly parts = new Map<Part, ResourcePool>();
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly live = new Set<Bundle>();

  constructor(options: ResourceBrokerOptions) {
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const { fileHandles, network, subprocess } = options.pools;
    if (fileHandles !== undefined) this.parts.set('fileHandles', fileHandles);
    if (network !== undefined) this.parts.set('network', network);
    if (subprocess !== undefined) this.parts.set('subprocess', subprocess);
    const budget = (name: string, mb: number | undefined): ResourcePool | undefined =>
      mb === undefined
        ? undefined
        : new ResourcePool({
            name,
            capacity: Math.max(1, Math.floor(mb)),
            reserveFraction: 0,
            clock: options.clock,
            timers: options.timers,
            logger: options.logger,
          });
    const memory = budget('memory budget (MB)', options.memoryMb);
    const disk = budget('disk budget (MB)', options.diskMb);
    if (memory !== undefined) this.parts.set('memoryMb', memory);
    if (disk !== undefined) this.parts.set('diskMb', disk);
  }

  /** Bundles granted and not yet released. */
  get bundles(): number {
    return this.live.size;
  }

  /** The memory and disk budgets' counters (MB), when configured. */
  budgets(): { memoryMb?: PoolStats; diskMb?: PoolStats } {
    return { memoryMb: this.parts.get('memoryMb')?.stats(), diskMb: this.parts.get('diskMb')?.stats() };
  }

  async acquire(owner: PoolOwner, request: BundleRequest, options: BundleOptions = {}): Promise<Bundle> {
    const user = options.user ?? false;
    const deadline = this.clock.monotonic() + (options.timeoutMs ?? this.timeoutMs);
    const taken: PoolLease[] = [];
    const releaseAll = () => {
      for (let i = taken.length - 1; i >= 0; i--) (taken[i] as PoolLease).release();
      taken.length = 0;
    };
    try {
      for (const part of ORDER) {
        const units = Math.ceil(request[part] ?? 0);
        const pool = this.parts.get(part);
        if (units <= 0 || pool === undefined) continue;
        // Estimates never hold user-interactive work back.
        if (user && (part === 'memoryMb' || part === 'diskMb')) continue;
        taken.push(
          await pool.acquire({
            owner,
            user,
            units,
            priority: options.priority,
            timeoutMs: Math.max(0, deadline - this.clock.monotonic()),
            signal: options.signal,
            onPreempt: options.onPreempt,
            onResume: options.onResume,
          }),
        );
      }
      if (options.signal?.aborted) throw cancelledWait('a resource bundle', options.signal);
    } catch (err) {
      releaseAll();
      throw err;
    }
    let released = false;
    const bundle: Bundle = {
      owner,
      request: { ...request },
      since: this.clock.now(),
      release: () => {
        if (released) return;
        released = true;
        this.live.delete(bundle);
        releaseAll();
      },
    };
    this.live.add(bundle);
    return bundle;
  }
}
