/**
 * The sliding windows a breaker judges its calls by, after resilience4j's
 * `FixedSizeSlidingWindowMetrics` and `SlidingTimeWindowMetrics`: the last
 * N calls (a ring buffer), or the calls of the last N milliseconds (a ring
 * of time buckets). Recording a call is O(1) and allocates nothing; the
 * totals are kept as the window slides, so reading a rate is a division.
 */

/** Bits of one recorded call. */
export const FAILED = 1;
export const SLOW = 2;

/** What a breaker asks of a window. */
export interface SlidingWindow {
  /** Records one call: a combination of {@link FAILED} and {@link SLOW} (0: a fast success). */
  record(outcome: number, now: number): void;
  /** Calls in the window (as of `now`). */
  calls(now: number): number;
  /** Failed calls in the window (as of the last {@link calls}). */
  readonly failures: number;
  /** Slow calls in the window (as of the last {@link calls}). */
  readonly slow: number;
  /** Forgets every call. */
  reset(): void;
}

/** The last `size` calls. */
export class CountWindow implements SlidingWindow {
  readonly #outcomes: Uint8Array;
  #next = 0;
  #calls = 0;
  failures = 0;
  slow = 0;

  constructor(size: number) {
    this.#outcomes = new Uint8Array(size);
  }

  record(outcome: number): void {
    const outcomes = this.#outcomes;
    const at = this.#next;
    if (this.#calls === outcomes.length) {
      // The oldest call rolls out of the window.
      const old = outcomes[at]!;
      if ((old & FAILED) !== 0) this.failures -= 1;
      if ((old & SLOW) !== 0) this.slow -= 1;
    } else {
      this.#calls += 1;
    }
    outcomes[at] = outcome;
    if ((outcome & FAILED) !== 0) this.failures += 1;
    if ((outcome & SLOW) !== 0) this.slow += 1;
    this.#next = at + 1 === outcomes.length ? 0 : at + 1;
  }

  calls(): number {
    return this.#calls;
  }

  reset(): void {
    this.#outcomes.fill(0);
    this.#next = 0;
    this.#calls = 0;
    this.failures = 0;
    this.slow = 0;
  }
}

/**
 * The calls of the last `durationMs`, in `buckets` buckets of
 * `durationMs / buckets` each: a call ages out with its bucket, so the
 * window covers between `durationMs − bucket` and `durationMs`.
 */
export class TimeWindow implements SlidingWindow {
  readonly #bucketMs: number;
  /** Per bucket: calls, failures, slow, in one typed array (3 slots each). */
  readonly #counts: Float64Array;
  readonly #size: number;
  /** The bucket number (time ÷ bucketMs) of the newest bucket, or -Infinity before the first call. */
  #head = -Infinity;
  #calls = 0;
  failures = 0;
  slow = 0;

  constructor(durationMs: number, buckets: number) {
    this.#size = buckets;
    this.#bucketMs = durationMs / buckets;
    this.#counts = new Float64Array(buckets * 3);
  }

  record(outcome: number, now: number): void {
    const slot = this.#advance(now) * 3;
    const counts = this.#counts;
    counts[slot] = counts[slot]! + 1;
    this.#calls += 1;
    if ((outcome & FAILED) !== 0) {
      counts[slot + 1] = counts[slot + 1]! + 1;
      this.failures += 1;
    }
    if ((outcome & SLOW) !== 0) {
      counts[slot + 2] = counts[slot + 2]! + 1;
      this.slow += 1;
    }
  }

  calls(now: number): number {
    this.#advance(now);
    return this.#calls;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#head = -Infinity;
    this.#calls = 0;
    this.failures = 0;
    this.slow = 0;
  }

  /** Moves the window to `now`, emptying the buckets that aged out; returns the current bucket's index. */
  #advance(now: number): number {
    const bucket = Math.floor(now / this.#bucketMs);
    const size = this.#size;
    if (bucket > this.#head) {
      const counts = this.#counts;
      // At most `size` buckets to empty, however long the window sat idle.
      const stale = Math.min(bucket - this.#head, size);
      for (let i = 1; i <= stale; i++) {
        const slot = ((((bucket - stale + i) % size) + size) % size) * 3;
        this.#calls -= counts[slot]!;
        this.failures -= counts[slot + 1]!;
        this.slow -= counts[slot + 2]!;
        counts[slot] = 0;
        counts[slot + 1] = 0;
        counts[slot + 2] = 0;
      }
      this.#head = bucket;
    }
    // A clock that steps back (a test, a VM) records into the newest bucket.
    return ((this.#head % size) + size) % size;
  }
}
