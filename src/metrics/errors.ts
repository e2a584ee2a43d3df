/**
 * The error a metric getter throws when a name is already taken on a
 * registry by a metric of another shape. A programmer error, thrown at
 * configuration time, never on a request.
 */
import { WardError, hasBrand } from '@ward/core';

const METRIC_CONFLICT = Symbol.for('ward.metric-conflict');

/** The kinds of prom-client metric. */
export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

/** What a metric is: its kind, its label names in order and, for histograms, its buckets. */
export interface MetricShape {
  readonly kind: MetricKind;
  readonly labelNames: readonly string[];
  /** Upper bounds, histograms only. */
  readonly buckets?: readonly number[];
}

/**
 * A metric name is already registered with another kind, other labels (or
 * label order) or other buckets. prom-client allows one metric per name and
 * registry.
 *
 * @example
 * wardCounter(registry, { name: 'x_total', help: 'X.' });
 * wardGauge(registry, { name: 'x_total', help: 'X.' }); // throws MetricConflictError (code METRIC_CONFLICT)
 */
export class MetricConflictError extends WardError {
  override name = 'MetricConflictError';
  /** The full metric name, prefix included. */
  readonly metricName: string;
  readonly existing: MetricShape;
  readonly requested: MetricShape;
  readonly [METRIC_CONFLICT] = true;

  constructor(metricName: string, existing: MetricShape, requested: MetricShape) {
    super(
      'METRIC_CONFLICT',
      `Metric "${metricName}" is already registered on this registry as ${shapeText(existing)}; ` +
        `asked for ${shapeText(requested)}. A name holds one metric per registry: ` +
        'ask for the same kind, labels (in the same order) and buckets, or use another name or prefix.',
    );
    this.metricName = metricName;
    this.existing = existing;
    this.requested = requested;
  }
}

/**
 * True for a {@link MetricConflictError}, even from another copy of `@ward/metrics`.
 *
 * @example
 * try { setUp(); } catch (e) { if (isMetricConflictError(e)) console.error(e.metricName, e.existing, e.requested); }
 */
export function isMetricConflictError(value: unknown): value is MetricConflictError {
  return hasBrand(value, METRIC_CONFLICT);
}

function shapeText(shape: MetricShape): string {
  const article = shape.kind === 'unknown' ? 'an' : 'a';
  const labels = `labels [${shape.labelNames.join(', ')}]`;
  const buckets = shape.buckets === undefined ? '' : ` and buckets [${shape.buckets.join(', ')}]`;
  return `${article} ${shape.kind} with ${labels}${buckets}`;
}
