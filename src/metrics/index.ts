/**
 * @ward/metrics — Prometheus metrics for ward: the registry convention and
 * metric getters every ward package uses for its counters, `httpMetrics()`
 * for request duration and in-flight requests, and `metricsHandler()` for
 * `/metrics`.
 */
export {
  DEFAULT_PREFIX,
  isMetricName,
  resolveMetricsOptions,
  resolvePrefix,
  resolveRegistry,
  type MetricsRegistry,
  type WardMetricsOptions,
} from './registry.js';
export {
  DEFAULT_BUCKETS,
  validBuckets,
  wardCounter,
  wardGauge,
  wardHistogram,
  type WardHistogramSpec,
  type WardMetricSpec,
} from './getters.js';
export { hotCounter, type HotCounter } from './hot-counter.js';
export { hotHistogram, type HotHistogram } from './hot-histogram.js';
export { MetricConflictError, isMetricConflictError, type MetricKind, type MetricShape } from './errors.js';
export { httpMetrics, OVERFLOW_ROUTE, UNMATCHED_ROUTE, type HttpMetricsOptions } from './http-metrics.js';
export { METHOD_LABELS } from './http-labels.js';
export { metricsHandler, type DefaultMetricsOptions, type MetricsHandlerOptions } from './metrics-handler.js';
