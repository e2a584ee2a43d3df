/**
 * `hotCounter()`: one series of a prom-client counter for code that counts
 * millions of times a second (a rate limiter's decisions). prom-client's
 * `inc()` hashes the labels on every call, even through `labels(…)`; here
 * `inc()` adds to a plain number and the total reaches prom-client when the
 * counter is collected (a scrape, `registry.metrics()`, `metric.get()`), so
 * what a scrape reads is exact.
 */
import type { Counter, LabelValues } from 'prom-client';
import { onCollect } from './collect-hook.js';

/** A series of a counter, counted locally and handed to prom-client at collection. */
export interface HotCounter {
  /** Adds 1 (or `by`, finite and ≥ 0: anything else throws a RangeError, as prom-client's `inc` does). */
  inc(by?: number): void;
}

/**
 * The series `labels` of `counter`, counted locally. The series exists (at
 * 0) from now on, so a `rate()` sees its first increment.
 *
 * @example
 * const allowed = hotCounter(decisions, { limiter: 'api', outcome: 'allowed' });
 * allowed.inc();
 */
export function hotCounter<L extends string>(counter: Counter<L>, labels: LabelValues<L>): HotCounter {
  counter.inc(labels, 0);
  let pending = 0;
  const flush = (): void => {
    if (pending === 0) return;
    const value = pending;
    pending = 0;
    counter.inc(labels, value);
  };
  onCollect(counter, flush);
  return {
    inc(by = 1) {
      // As prom-client's own inc(): a bad amount is the caller's error now, not a failed scrape of the whole registry later.
      if (!(by >= 0) || by === Infinity) throw new RangeError(`hotCounter.inc(by): a counter only goes up, by a finite amount ≥ 0; got ${by}`);
      pending += by;
    },
  };
}
