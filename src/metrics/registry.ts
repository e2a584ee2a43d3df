/**
 * The registry convention every ward package follows for its own metrics:
 * an injectable prom-client `Registry` (default: prom-client's global
 * `register`) and a name prefix (default `ward_`).
 *
 * Why the global `register` by default: an app that already serves
 * `register.metrics()` on its `/metrics` (express-prom-bundle,
 * fastify-metrics, a hand-written route) shows ward's metrics with no wiring.
 * A separate ward registry would have to be merged in, and
 * `Registry.merge()` copies the metric list once, so counters a package
 * registers later would silently be missing. Tests and multi-tenant
 * processes inject their own `new Registry()`.
 */
import { describeValue } from '@ward/core';
import { type OpenMetricsContentType, type PrometheusContentType, type Registry, register } from 'prom-client';

/** A prom-client registry of either exposition format. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/**
 * The metrics options every ward package accepts (`rateLimit({ metrics: … })`,
 * `httpMetrics({ … })`).
 */
export interface WardMetricsOptions {
  /** Where metrics are registered. Default: prom-client's global `register`. */
  registry?: MetricsRegistry;
  /** Prepended to every metric name. Default: `'ward_'`; `''` for none. */
  prefix?: string;
}

/** The prefix of every ward metric name, unless a `prefix` option says otherwise. */
export const DEFAULT_PREFIX = 'ward_';

/** Prometheus metric name grammar (also the grammar of a non-empty prefix). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * The registry to use: `registry` when given (checked to be a prom-client
 * `Registry`), else prom-client's global `register`.
 *
 * @param where the option's name in error messages, e.g. `'httpMetrics({ registry })'`.
 * @example
 * const registry = resolveRegistry(options.registry, 'cache({ registry })'); // the global register when undefined
 */
export function resolveRegistry(registry: MetricsRegistry | undefined, where = 'registry'): MetricsRegistry {
  if (registry === undefined) return register;
  if (!isRegistry(registry)) {
    throw new TypeError(
      `${where} must be a prom-client Registry (new Registry() or the global register), got ${describeValue(registry)}`,
    );
  }
  return registry;
}

/**
 * Validates a metric name prefix: `''`, or a valid Prometheus name start.
 *
 * @param where the option's name in error messages.
 * @example
 * resolvePrefix(undefined); // 'ward_'
 * resolvePrefix('acme_');   // 'acme_'
 */
export function resolvePrefix(prefix: string | undefined, where = 'prefix'): string {
  if (prefix === undefined) return DEFAULT_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError(`${where} must be a string such as 'ward_', got ${describeValue(prefix)}`);
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw new RangeError(
      `${where} must match ${String(METRIC_NAME)} (letters, digits, '_' and ':', not starting with a digit), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/**
 * Resolves {@link WardMetricsOptions} once, at a factory's configuration time.
 *
 * @param where the option's name in error messages, e.g. `'rateLimit({ metrics })'`.
 * @example
 * const { registry, prefix } = resolveMetricsOptions(options.metrics, 'rateLimit({ metrics })');
 */
export function resolveMetricsOptions(
  options: WardMetricsOptions | undefined,
  where = 'metrics options',
): Required<WardMetricsOptions> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`${where} must be an object such as { registry, prefix }, got ${describeValue(options)}`);
  }
  return {
    registry: resolveRegistry(options?.registry, `${where}.registry`),
    prefix: resolvePrefix(options?.prefix, `${where}.prefix`),
  };
}

/**
 * True when `name` is a valid Prometheus metric name.
 *
 * @example
 * isMetricName('ward_http_requests_total'); // true
 * isMetricName('http-requests');            // false
 */
export function isMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

function isRegistry(value: unknown): value is MetricsRegistry {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  // Structural, so a registry from another copy of prom-client is accepted too.
  return (
    typeof r['getSingleMetric'] === 'function' &&
    typeof r['registerMetric'] === 'function' &&
    typeof r['metrics'] === 'function' &&
    typeof r['contentType'] === 'string'
  );
}

