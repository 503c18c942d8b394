/**
 * sylkd's in-process metrics: counters, gauges and histograms with a small fixed set of label
 * names each. Series are found through one Map per label (no key string built per update) and
 * a histogram observes into a preallocated array, so recording allocates nothing once a series
 * exists. Collected metrics (`collect`) are read at scrape time from figures components already
 * keep. Names follow `sylk_<area>_<what>`; the area groups `sylk metrics`.
 */

type MetricType = 'counter' | 'gauge' | 'histogram';

/** One series of a family as a scrape sees it. */
export interface MetricSample {
  labels: Readonly<Record<string, string>>;
  /** Counter or gauge value; a histogram's sum of observations. */
  value: number;
  /** Histograms: observations, and cumulative counts per upper bound (the last is +Inf). */
  count?: number;
  buckets?: ReadonlyArray<{ le: number; count: number }>;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  /** `sylk_<area>_…`: gate, session, tool, task, pool, storage, process. */
  area: string;
  labelNames: readonly string[];
  samples: MetricSample[];
}

/** Series beyond this many per metric all go to one whose labels read `_other` (cardinality stays bounded). */
const DEFAULT_MAX_SERIES = 200;
const OVERFLOW = '_other';
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Definition {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** Cap on distinct label combinations (default 200). */
  maxSeries?: number;
}

abstract class Family<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  private readonly root = new Map<string, unknown>();
  private readonly maxSeries: number;
  protected readonly series: Array<{ values: readonly string[]; series: S }> = [];
  private overflow: S | undefined;

  constructor(def: Definition) {
    this.name = def.name;
    this.help = def.help;
    this.labelNames = def.labelNames ?? [];
    this.maxSeries = def.maxSeries ?? DEFAULT_MAX_SERIES;
  }

  protected abstract create(): S;

  /** The series of these label values (in `labelNames` order), created on first use. */
  protected find(values: readonly string[]): S {
    if (values.length !== this.labelNames.length)
      throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}; got ${values.length} value(s)`);
    if (values.length === 0) return (this.series[0] ??= { values, series: this.create() }).series;
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const next = level.get(values[i] as string) as Map<string, unknown> | undefined;
      if (next === undefined) return this.addSeries(values);
      level = next;
    }
    return (level.get(values[last] as string) as S | undefined) ?? this.addSeries(values);
  }

  private addSeries(values: readonly string[]): S {
    if (this.series.length >= this.maxSeries) {
      if (this.overflow === undefined) {
        this.overflow = this.create();
        this.series.push({ values: this.labelNames.map(() => OVERFLOW), series: this.overflow });
      }
      return this.overflow;
    }
    const s = this.create();
    const copy = [...values];
    let level = this.root;
    for (let i = 0; i < copy.length - 1; i++) {
      let next = level.get(copy[i] as string) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(copy[i] as string, next);
      }
      level = next;
    }
    level.set(copy[copy.length - 1] as string, s);
    this.series.push({ values: copy, series: s });
    return s;
  }

  protected labelsOf(values: readonly string[]): Record<string, string> {
    const labels: Record<string, string> = {};
    this.labelNames.forEach((n, i) => (labels[n] = values[i] as string));
    return labels;
  }

  abstract readonly type: MetricType;
  abstract samples(): MetricSample[];
}

class Cell {
  value = 0;
}

/** A value that only goes up (resets with sylkd). */
export class Counter extends Family<Cell> {
  readonly type = 'counter';
  protected create(): Cell {
    return new Cell();
  }
  inc(by = 1, ...values: string[]): void {
    if (by < 0) throw new Error(`${this.name}: a counter cannot go down`);
    this.find(values).value += by;
  }
  samples(): MetricSample[] {
    return this.series.map(({ values, series }) => ({ labels: this.labelsOf(values), value: series.value }));
  }
}

/** A value that goes up and down. */
export class Gauge extends Family<Cell> {
  readonly type = 'gauge';
  protected create(): Cell {
    return new Cell();
  }
  set(value: number, ...values: string[]): void {
    this.find(values).value = value;
  }
  add(by: number, ...values: string[]): void {
    this.find(values).value += by;
  }
  samples(): MetricSample[] {
    return this.series.map(({ values, series }) => ({ labels: this.labelsOf(values), value: series.value }));
  }
}

class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(buckets: number) {
    this.counts = new Float64Array(buckets);
  }
}

/** Observations counted into fixed buckets (upper bounds, ascending; +Inf is implied). */
export class Histogram extends Family<HistogramCell> {
  readonly type = 'histogram';
  readonly bounds: Float64Array;

  constructor(def: Definition & { buckets: readonly number[] }) {
    super(def);
    if (def.labelNames?.includes('le')) throw new Error(`${def.name}: 'le' is reserved for histogram buckets`);
    if (
      def.buckets.length === 0 ||
      def.buckets.some((b, i) => !Number.isFinite(b) || b <= (def.buckets[i - 1] ?? -Infinity))
    )
      throw new Error(`${def.name}: buckets must be finite and ascending`);
    this.bounds = Float64Array.from(def.buckets);
  }

  protected create(): HistogramCell {
    return new HistogramCell(this.bounds.length);
  }

  observe(value: number, ...values: string[]): void {
    const cell = this.find(values);
    cell.sum += value;
    cell.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        cell.counts[i]!++;
        return;
      }
    }
  }

  samples(): MetricSample[] {
    return this.series.map(({ values, series }) => {
      const buckets: Array<{ le: number; count: number }> = [];
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i] as number;
        buckets.push({ le: this.bounds[i] as number, count: cumulative });
      }
      buckets.push({ le: Infinity, count: series.count });
      return { labels: this.labelsOf(values), value: series.sum, count: series.count, buckets };
    });
  }
}

/** Reports the current values at scrape time: `emit(value, ...labelValues)` once per series. */
export type Collect = (emit: (value: number, ...labels: string[]) => void) => void;

class Collected {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly labelNames: readonly string[],
    private readonly collect: Collect,
  ) {}

  samples(): MetricSample[] {
    const out: MetricSample[] = [];
    this.collect((value, ...values) => {
      if (values.length !== this.labelNames.length)
        throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}; got ${values.length} value(s)`);
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] as string));
      out.push({ labels, value });
    });
    return out;
  }
}

type Registered = Counter | Gauge | Histogram | Collected;

/** The metrics of one process; families keep registration order. */
export class MetricsRegistry {
  private readonly families = new Map<string, Registered>();

  counter(def: Definition): Counter {
    return this.register(new Counter(def));
  }

  gauge(def: Definition): Gauge {
    return this.register(new Gauge(def));
  }

  histogram(def: Definition & { buckets: readonly number[] }): Histogram {
    return this.register(new Histogram(def));
  }

  /** A counter or gauge read from elsewhere when scraped (a component's own figures). */
  collect(def: Definition & { type: 'counter' | 'gauge'; collect: Collect }): void {
    this.register(new Collected(def.name, def.help, def.type, def.labelNames ?? [], def.collect));
  }

  private register<T extends Registered>(family: T): T {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name '${family.name}'`);
    if (this.families.has(family.name)) throw new Error(`metric '${family.name}' is registered twice`);
    for (const l of family.labelNames)
      if (!LABEL.test(l) || l.startsWith('__')) throw new Error(`${family.name}: invalid label name '${l}'`);
    this.families.set(family.name, family);
    return family;
  }

  /** Every family with its current samples. A collector that throws leaves its family empty. */
  snapshot(onError?: (name: string, err: unknown) => void): MetricFamily[] {
    return [...this.families.values()].map((f) => {
      let samples: MetricSample[] = [];
      try {
        samples = f.samples();
      } catch (err) {
        onError?.(f.name, err);
      }
      return {
        name: f.name,
        help: f.help,
        type: f.type,
        area: areaOf(f.name),
        labelNames: f.labelNames,
        samples,
      };
    });
  }
}

function areaOf(name: string): string {
  const parts = name.split('_');
  return parts[0] === 'sylk' && parts.length > 2 ? (parts[1] as string) : 'other';
}
