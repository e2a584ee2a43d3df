/**
 * Memoised metric getters. prom-client throws when a name is registered
 * twice on one registry, and several ward middleware instances (two rate
 * limiters, an app that builds its chain per router) share one counter. So
 * each getter returns the metric already registered under that name when
 * its kind, labels and buckets match, creates it otherwise, and throws a
 * {@link MetricConflictError} when the name holds a metric of another shape.
 *
 * The registry itself is the memo (keyed by registry + full name), so a
 * metric survives in it exactly as long as prom-client keeps it, and a
 * metric registered by another copy of this package is found too.
 */
import { describeValue } from '@ward/core';
import { Counter, Gauge, Histogram, Summary } from 'prom-client';
import { MetricConflictError, type MetricKind, type MetricShape } from './errors.js';
import { type MetricsRegistry, isMetricName, resolvePrefix, resolveRegistry } from './registry.js';

/** What a ward metric is called and labelled. */
export interface WardMetricSpec<L extends string = string> {
  /**
   * The name after the prefix, in Prometheus style with a unit suffix
   * (`rate_limit_decisions_total`, `http_request_duration_seconds`).
   */
  name: string;
  /** The `# HELP` text. Kept from the first registration when a metric is reused. */
  help: string;
  /** Label names, in the order positional `labels(…)` calls use. Default: none. */
  labelNames?: readonly L[];
  /** Prepended to `name`. Default: `'ward_'`. */
  prefix?: string;
}

/** A histogram's spec: its bucket upper bounds in seconds (or the metric's unit). */
export interface WardHistogramSpec<L extends string = string> extends WardMetricSpec<L> {
  /** Bucket upper bounds, strictly increasing. Default: {@link DEFAULT_BUCKETS}. */
  buckets?: readonly number[];
}

/**
 * Default histogram buckets, in seconds, for request latencies of HTTP APIs:
 * 1 ms to 10 s.
 */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Label names Prometheus or prom-client reserve. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The counter `prefix + name` on `registry` (default: prom-client's global
 * `register`), created on first use.
 *
 * @throws MetricConflictError when the name holds another kind or other labels.
 * @example
 * const decisions = wardCounter(registry, {
 *   name: 'rate_limit_decisions_total',
 *   help: 'Rate limit decisions, by outcome.',
 *   labelNames: ['outcome'],
 * });
 * decisions.inc({ outcome: 'allowed' });
 */
export function wardCounter<L extends string = string>(registry: MetricsRegistry | undefined, spec: WardMetricSpec<L>): Counter<L> {
  return getOrCreate(registry, spec, 'counter', 'wardCounter', undefined, (config) => new Counter<L>(config));
}

/**
 * The gauge `prefix + name` on `registry` (default: the global `register`),
 * created on first use.
 *
 * @throws MetricConflictError when the name holds another kind or other labels.
 * @example
 * const open = wardGauge(registry, { name: 'circuit_breaker_open', help: '1 while open.', labelNames: ['breaker'] });
 */
export function wardGauge<L extends string = string>(registry: MetricsRegistry | undefined, spec: WardMetricSpec<L>): Gauge<L> {
  return getOrCreate(registry, spec, 'gauge', 'wardGauge', undefined, (config) => new Gauge<L>(config));
}

/**
 * The histogram `prefix + name` on `registry` (default: the global
 * `register`), created on first use.
 *
 * @throws MetricConflictError when the name holds another kind, other labels or other buckets.
 * @example
 * const latency = wardHistogram(registry, { name: 'redis_command_duration_seconds', help: '…', labelNames: ['command'] });
 */
export function wardHistogram<L extends string = string>(
  registry: MetricsRegistry | undefined,
  spec: WardHistogramSpec<L>,
): Histogram<L> {
  const where = 'wardHistogram';
  const buckets = validBuckets(spec.buckets, `${where}({ buckets })`);
  return getOrCreate(registry, spec, 'histogram', where, buckets, (config) => new Histogram<L>({ ...config, buckets: [...buckets] }));
}

interface BaseConfig<L extends string> {
  name: string;
  help: string;
  labelNames: L[];
  registers: MetricsRegistry[];
}

function getOrCreate<L extends string, M>(
  registryOption: MetricsRegistry | undefined,
  spec: WardMetricSpec<L>,
  kind: MetricKind,
  where: string,
  buckets: readonly number[] | undefined,
  create: (config: BaseConfig<L>) => M,
): M {
  const registry = resolveRegistry(registryOption, `${where}(registry)`);
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(`${where}(registry, spec): spec must be an object { name, help, labelNames? }, got ${describeValue(spec)}`);
  }
  const prefix = resolvePrefix(spec.prefix, `${where}({ prefix })`);
  if (typeof spec.name !== 'string') throw new TypeError(`${where}({ name }) must be a string, got ${describeValue(spec.name)}`);
  const name = prefix + spec.name;
  if (!isMetricName(name)) {
    throw new RangeError(`${where}({ name }): "${name}" is not a valid Prometheus metric name; use letters, digits and '_', e.g. 'requests_total'`);
  }
  if (typeof spec.help !== 'string' || spec.help.trim() === '') {
    throw new TypeError(`${where}({ help }) must be a non-empty string describing "${name}", got ${describeValue(spec.help)}`);
  }
  const labelNames = validLabelNames(spec.labelNames, kind, `${where}({ labelNames })`);
  const requested: MetricShape = buckets === undefined ? { kind, labelNames } : { kind, labelNames, buckets };

  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) {
    const have = shapeOf(existing);
    if (!sameShape(have, requested)) throw new MetricConflictError(name, have, requested);
    return existing as unknown as M;
  }
  return create({ name, help: spec.help, labelNames: [...labelNames] as L[], registers: [registry] });
}

function validLabelNames(input: readonly string[] | undefined, kind: MetricKind, where: string): readonly string[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new TypeError(`${where} must be an array of label names, got ${describeValue(input)}`);
  const seen = new Set<string>();
  for (const label of input as unknown[]) {
    if (typeof label !== 'string' || !LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new RangeError(`${where}: ${describeValue(label)} is not a valid label name; use letters, digits and '_' (not starting with '__')`);
    }
    if ((kind === 'histogram' && label === 'le') || (kind === 'summary' && label === 'quantile')) {
      throw new RangeError(`${where}: "${label}" is reserved for ${kind} buckets; choose another label name`);
    }
    if (seen.has(label)) throw new RangeError(`${where}: "${label}" appears twice`);
    seen.add(label);
  }
  return Object.freeze([...input]);
}

/**
 * Validates histogram buckets: a non-empty array of finite numbers, strictly
 * increasing. Default: {@link DEFAULT_BUCKETS}.
 *
 * @param where the option's name in error messages.
 * @example
 * const buckets = validBuckets(options.buckets, 'cache({ buckets })'); // DEFAULT_BUCKETS when undefined
 */
export function validBuckets(input: readonly number[] | undefined, where = 'buckets'): readonly number[] {
  if (input === undefined) return DEFAULT_BUCKETS;
  if (!Array.isArray(input) || input.length === 0) {
    throw new TypeError(`${where} must be a non-empty array of upper bounds such as [0.01, 0.1, 1], got ${describeValue(input)}`);
  }
  let previous = -Infinity;
  for (const bound of input as unknown[]) {
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new RangeError(`${where} must hold finite numbers (+Inf is added by Prometheus), got ${describeValue(bound)}`);
    }
    if (bound <= previous) {
      throw new RangeError(`${where} must be strictly increasing, got ${bound} after ${previous}`);
    }
    previous = bound;
  }
  return Object.freeze([...input]);
}

/** The shape of a registered metric, also when it comes from another copy of prom-client. */
function shapeOf(metric: object): MetricShape {
  const fields = metric as { labelNames?: unknown; upperBounds?: unknown };
  const labelNames = Array.isArray(fields.labelNames) ? (fields.labelNames as string[]) : [];
  const kind = kindOf(metric);
  if (kind === 'histogram' && Array.isArray(fields.upperBounds)) {
    return { kind, labelNames, buckets: fields.upperBounds as number[] };
  }
  return { kind, labelNames };
}

function kindOf(metric: object): MetricKind {
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Gauge) return 'gauge';
  if (metric instanceof Histogram) return 'histogram';
  if (metric instanceof Summary) return 'summary';
  // Another copy of prom-client: its classes carry the same names.
  const name = (metric as { constructor?: { name?: unknown } }).constructor?.name;
  switch (name) {
    case 'Counter':
      return 'counter';
    case 'Gauge':
      return 'gauge';
    case 'Histogram':
      return 'histogram';
    case 'Summary':
      return 'summary';
    default:
      return 'unknown';
  }
}

function sameShape(have: MetricShape, want: MetricShape): boolean {
  return have.kind === want.kind && sameList(have.labelNames, want.labelNames) && sameList(have.buckets ?? [], want.buckets ?? []);
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
