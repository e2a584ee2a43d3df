/**
 * Work to run when a prom-client metric is collected (a scrape,
 * `registry.metrics()`, `metric.get()`): the hot series (hot-counter.ts,
 * hot-histogram.ts) hand their local totals over there. prom-client calls a
 * metric's `collect` before reading it; the hooks run before the metric's
 * own `collect`, if it has one, in the order they were added.
 */

/** A prom-client metric, as far as its `collect` goes. */
type Collectable = object & { collect?: (this: unknown) => unknown };

const hooks = new WeakMap<object, (() => void)[]>();

/** Runs `hook` every time `metric` is collected, before its own `collect`. */
export function onCollect(metric: object, hook: () => void): void {
  let list = hooks.get(metric);
  if (list === undefined) {
    list = [];
    hooks.set(metric, list);
    const own = list;
    const target = metric as Collectable;
    const previous = target.collect;
    target.collect = function collect(this: unknown): unknown {
      for (let i = 0; i < own.length; i++) own[i]!();
      return previous?.call(this);
    };
  }
  list.push(hook);
}
