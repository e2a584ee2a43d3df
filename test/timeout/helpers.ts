/**
 * Small helpers for the timeout tests: a handler's meeting points with the
 * test, metric reads, and waiting for a condition by turns of the event
 * loop (never by time).
 */
import { setImmediate as tick } from 'node:timers/promises';
import { type Deferred, deferred } from '@ward/core/testing';
import type { Registry } from 'prom-client';

/** Where a gated handler meets the test: it entered, the test releases it, it finished. */
export interface Control {
  readonly entered: Deferred<void>;
  readonly gate: Deferred<void>;
  readonly finished: Deferred<void>;
}

export function control(): Control {
  return { entered: deferred(), gate: deferred(), finished: deferred() };
}

/** `ward_timeout_expired_total` by its `committed` label. */
export async function expired(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('ward_timeout_expired_total');
  if (metric === undefined) return {};
  const { values } = await metric.get();
  return Object.fromEntries(values.map((v) => [`committed=${String(v.labels['committed'])}`, v.value]));
}

/**
 * Resolves once `condition()` is true, checking once per turn of the event
 * loop; fails after `turns` turns (a bound on work, not on time).
 */
export async function until(condition: () => boolean, what: string, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await tick();
  }
  throw new Error(`still waiting for: ${what}`);
}

/** The problem body every timeout answer carries. */
export function timeoutProblem(status: 503 | 504): string {
  return JSON.stringify({ type: 'urn:ward:problem:timeout', title: 'Response Timeout', status, code: 'TIMEOUT' });
}

/** One timer armed through {@link ManualTimers}. */
export interface ManualTimer {
  readonly ms: number;
  cleared: boolean;
  fired: boolean;
  /** Runs the callback now, as if the delay had passed; false (and nothing runs) if it was cleared. */
  fire(): boolean;
}

/** Timers that fire only when the test says so (the `timers` option of timeout()). */
export class ManualTimers {
  readonly armed: ManualTimer[] = [];
  /** The clock these timers keep, in epoch ms: it moves only when a timer fires (pass `now: () => timers.now`). */
  now = 1_700_000_000_000;

  setTimeout(callback: () => void, ms: number): unknown {
    const due = this.now + ms;
    const timer: ManualTimer = {
      ms,
      cleared: false,
      fired: false,
      fire: () => {
        if (timer.cleared || timer.fired) return false;
        timer.fired = true;
        if (this.now < due) this.now = due;
        callback();
        return true;
      },
    };
    this.armed.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as ManualTimer).cleared = true;
  }

  /** Timers neither fired nor cleared. */
  pending(): ManualTimer[] {
    return this.armed.filter((t) => !t.cleared && !t.fired);
  }
}
