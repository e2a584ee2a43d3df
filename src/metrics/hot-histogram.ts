/**
 * `hotHistogram()`: one series of a prom-client histogram for code that
 * observes on every request or store call. prom-client's `observe()` checks
 * and hashes the labels on every call, even through `labels(…)` (about a
 * microsecond); here `observe()` finds the bucket and adds to plain numbers,
 * and the totals reach the histogram when it is collected (a scrape,
 * `registry.metrics()`, `metric.get()`), so what a scrape reads is exact.
 *
 * prom-client has no public way to add many observations at once, so the
 * flush adds to the series' entry in the histogram's own table
 * (`hashMap`, prom-client 15). Where that table is not what this expects
 * (another prom-client), `observe()` falls back to the histogram's own.
 */
import { createRequire } from 'node:module';
import type { Histogram, LabelValues } from 'prom-client';
import { onCollect } from './collect-hook.js';

/** prom-client's own key of a series in a metric's table (lib/util.js, no types of its own). */
type HashObject = (labels: Record<string, string | number>, sortedLabelNames?: string[]) => string;
const hashObject = loadHashObject();

function loadHashObject(): HashObject | undefined {
  try {
    const util = createRequire(import.meta.url)('prom-client/lib/util.js') as { hashObject?: unknown };
    return typeof util.hashObject === 'function' ? (util.hashObject as HashObject) : undefined;
  } catch {
    return undefined;
  }
}

/** A series of a histogram, observed locally and handed to prom-client at collection. */
export interface HotHistogram {
  /** Records one observation (seconds, bytes…); a value that is not a finite number is ignored. */
  observe(value: number): void;
}

/** prom-client 15's per-series entry, as the flush updates it. */
interface SeriesEntry {
  labels: Record<string, string | number>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** The parts of prom-client 15's Histogram the flush relies on. */
interface HistogramInternals {
  hashMap: Record<string, SeriesEntry>;
  upperBounds: number[];
  sortedLabelNames: string[];
}

/**
 * The series `labels` of `histogram`, observed locally. The series exists
 * (at 0) from now on.
 *
 * @example
 * const latency = hotHistogram(storeDuration, { limiter: 'api', store: 'redis' });
 * latency.observe(0.0012);
 */
export function hotHistogram<L extends string>(histogram: Histogram<L>, labels: LabelValues<L>): HotHistogram {
  const internals = histogram as unknown as HistogramInternals;
  const key = seriesKey(histogram, internals, labels as Record<string, string | number>);
  const bounds = internals.upperBounds;
  if (key === undefined || !Array.isArray(bounds) || !bounds.every((b) => typeof b === 'number')) {
    // Not the prom-client this was written against: every observation goes through prom-client.
    const child = histogram.labels(labels);
    return {
      observe(value: number): void {
        if (Number.isFinite(value)) child.observe(value);
      },
    };
  }
  const upper = Float64Array.from(bounds);
  // Observations since the last flush: per bucket (the last one past every bound), their sum and count.
  const pending = new Float64Array(upper.length + 1);
  let sum = 0;
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    let entry = internals.hashMap[key];
    if (entry === undefined) {
      // The histogram was reset since: the series starts again from these observations.
      histogram.zero(labels);
      entry = internals.hashMap[key];
      if (entry === undefined) return;
    }
    for (let i = 0; i < upper.length; i++) {
      if (pending[i] !== 0) entry.bucketValues[upper[i]!] = (entry.bucketValues[upper[i]!] ?? 0) + pending[i]!;
    }
    entry.sum += sum;
    entry.count += count;
    pending.fill(0);
    sum = 0;
    count = 0;
  };
  onCollect(histogram, flush);
  onReset(histogram, () => {
    pending.fill(0);
    sum = 0;
    count = 0;
  });
  return {
    observe(value: number): void {
      if (!Number.isFinite(value)) return;
      let i = 0;
      while (i < upper.length && value > upper[i]!) i++;
      pending[i]! += 1;
      sum += value;
      count += 1;
    },
  };
}

/** What the hot series of each histogram forget on `reset()`. */
const resets = new WeakMap<object, (() => void)[]>();

/**
 * Runs `drop` whenever `histogram` is reset: a reset forgets what was
 * observed and not yet collected, as prom-client's own reset forgets the rest.
 */
function onReset(histogram: Histogram<string>, drop: () => void): void {
  let list = resets.get(histogram);
  if (list === undefined) {
    list = [];
    resets.set(histogram, list);
    const own = list;
    const reset = histogram.reset.bind(histogram);
    histogram.reset = function resetHot(): void {
      for (let i = 0; i < own.length; i++) own[i]!();
      reset();
    };
  }
  list.push(drop);
}

/**
 * The key of the series `labels` in the histogram's table (the series made
 * at 0 if it does not exist yet; one that exists keeps its observations),
 * or undefined when the table is not prom-client 15's.
 */
function seriesKey(histogram: Histogram<string>, internals: HistogramInternals, labels: Record<string, string | number>): string | undefined {
  if (hashObject === undefined || typeof internals.hashMap !== 'object' || internals.hashMap === null || !Array.isArray(internals.sortedLabelNames)) return undefined;
  const key = hashObject(labels, internals.sortedLabelNames);
  if (internals.hashMap[key] === undefined) histogram.zero(labels);
  const entry = internals.hashMap[key];
  if (entry === undefined || typeof entry.bucketValues !== 'object' || entry.bucketValues === null || typeof entry.sum !== 'number' || typeof entry.count !== 'number') return undefined;
  return key;
}
