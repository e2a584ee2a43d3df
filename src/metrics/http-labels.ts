/**
 * Bounded label values for HTTP metrics, and a cache of histogram children
 * so the request path does no label work.
 *
 * Cardinality is bounded by construction: `method` is one of ten values,
 * `status_class` one of nine, and `route` is the matched route TEMPLATE
 * (never the raw path), `#unmatched` when nothing matched, and `#other` once
 * `maxRoutes` distinct templates have been seen, so even a framework that
 * reported raw paths could not grow the series without bound.
 */
import type { Histogram } from 'prom-client';
import { type HotHistogram, hotHistogram } from './hot-histogram.js';

/** Methods with their own label value; anything else is `OTHER`. RFC 9110 §9 plus PATCH (RFC 5789). */
export const METHOD_LABELS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'OTHER'] as const;

const OTHER_METHOD = METHOD_LABELS.length - 1;
const METHOD_INDEX: ReadonlyMap<string, number> = new Map(METHOD_LABELS.map((method, i) => [method, i]));

/** Index of a request method in {@link METHOD_LABELS}; unknown methods map to `OTHER`. */
export function methodIndex(method: string): number {
  return METHOD_INDEX.get(method) ?? OTHER_METHOD;
}

/** `status_class` values by hundreds digit; index 0 is never used (statuses are 100–999). */
const STATUS_CLASSES = ['5xx', '1xx', '2xx', '3xx', '4xx', '5xx', '6xx', '7xx', '8xx', '9xx'] as const;
const CLASSES = STATUS_CLASSES.length;

/** Index of a status's class: `2xx` for 204. A status outside 100–999 counts as `5xx`. */
export function statusClassIndex(status: number): number {
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 9 ? hundreds : 5;
}

/** The label value of {@link statusClassIndex}. */
export function statusClassLabel(index: number): string {
  return STATUS_CLASSES[index] ?? '5xx';
}

/** A series observed in plain numbers, handed to prom-client at each scrape (hot-histogram.ts). */
type Child = HotHistogram;

/** Children of one histogram, per (route, method, status class), for at most `maxRoutes` routes. */
export class SeriesCache {
  readonly #histogram: Histogram<string>;
  readonly #maxRoutes: number;
  readonly #overflowRoute: string;
  /** route → children indexed by method * CLASSES + class. */
  readonly #routes = new Map<string, (Child | undefined)[]>();
  /** The reserved routes (unmatched, overflow) do not count against maxRoutes. */
  #reserved = 0;

  constructor(histogram: Histogram<string>, options: { maxRoutes: number; unmatchedRoute: string; overflowRoute: string }) {
    this.#histogram = histogram;
    this.#maxRoutes = options.maxRoutes;
    this.#overflowRoute = options.overflowRoute;
    this.#slots(options.unmatchedRoute);
    this.#slots(options.overflowRoute);
    this.#reserved = this.#routes.size;
  }

  /** The child for this series; a new route past `maxRoutes` is recorded as the overflow route. */
  child(route: string, method: number, statusClass: number): Child {
    let label = route;
    let slots = this.#routes.get(route);
    if (slots === undefined) {
      if (this.#routes.size - this.#reserved < this.#maxRoutes) {
        slots = this.#slots(route);
      } else {
        label = this.#overflowRoute;
        slots = this.#routes.get(label)!;
      }
    }
    const slot = method * CLASSES + statusClass;
    let child = slots[slot];
    if (child === undefined) {
      child = hotHistogram(this.#histogram, {
        method: METHOD_LABELS[method] ?? 'OTHER',
        route: label,
        status_class: statusClassLabel(statusClass),
      });
      slots[slot] = child;
    }
    return child;
  }

  /** Distinct routes labelled so far, the reserved ones excluded. */
  get routes(): number {
    return this.#routes.size - this.#reserved;
  }

  #slots(route: string): (Child | undefined)[] {
    const slots = new Array<Child | undefined>(METHOD_LABELS.length * CLASSES).fill(undefined);
    this.#routes.set(route, slots);
    return slots;
  }
}
