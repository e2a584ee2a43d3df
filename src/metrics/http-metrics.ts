/**
 * `httpMetrics()`: request duration and in-flight requests, labelled by
 * method, route template and status class, on every adapter.
 *
 * The route is read from `ctx.req.route` AFTER `next()`, when the router has
 * matched; the raw path never becomes a label. Everything that can be is
 * computed at factory time; per request the middleware reads a clock twice,
 * moves a gauge twice and observes one cached histogram child.
 */
import { describeValue } from '@ward/core';
import { answeredStatus, type Context, type Middleware, defineMiddleware, markFactory } from '@ward/core';
import type { Gauge, Histogram } from 'prom-client';
import { validBuckets, wardGauge, wardHistogram } from './getters.js';
import { SeriesCache, methodIndex, statusClassIndex } from './http-labels.js';
import { type WardMetricsOptions, resolveMetricsOptions } from './registry.js';

/** Options of {@link httpMetrics}. */
export interface HttpMetricsOptions extends WardMetricsOptions {
  /**
   * Upper bounds of the duration histogram, in seconds, strictly increasing.
   * Default: {@link DEFAULT_BUCKETS} (1 ms … 10 s).
   */
  buckets?: readonly number[];
  /** The `route` label of requests no route matched (404s, ward answers before routing). Default: `'#unmatched'`. */
  unmatchedRoute?: string;
  /**
   * Distinct route labels this middleware records; requests on routes seen
   * after that many are labelled `#other`. A guard against a stack that
   * reports raw paths. Default: 1000.
   */
  maxRoutes?: number;
  /** Clock in milliseconds (fractions allowed). Default: `performance.now()`. */
  now?: () => number;
}

/** `route` label of requests on routes past `maxRoutes`. */
export const OVERFLOW_ROUTE = '#other';
/** Default `route` label of requests no route matched. */
export const UNMATCHED_ROUTE = '#unmatched';
const DEFAULT_MAX_ROUTES = 1000;
const LABEL_NAMES = ['method', 'route', 'status_class'] as const;

/**
 * Records `ward_http_request_duration_seconds` (histogram; labels `method`,
 * `route`, `status_class`) and `ward_http_requests_in_flight` (gauge).
 * Put it first in the chain so it times everything after it.
 *
 * An error that rejects `next()` is counted (as its `HttpError` status, else
 * `5xx`) and rethrown. A chain that answered nothing counts as the 404 the
 * adapter sends.
 *
 * @example
 * const engine = new Engine();
 * engine.use(httpMetrics());
 * engine.get('/metrics', metricsHandler());
 */
export function httpMetrics(options: HttpMetricsOptions = {}): Middleware {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`httpMetrics(options): options must be an object, got ${describeValue(options)}`);
  }
  const { registry, prefix } = resolveMetricsOptions(options, 'httpMetrics(options)');
  const buckets = validBuckets(options.buckets, 'httpMetrics({ buckets })');
  const unmatchedRoute = options.unmatchedRoute ?? UNMATCHED_ROUTE;
  if (typeof unmatchedRoute !== 'string' || unmatchedRoute === '') {
    throw new TypeError(`httpMetrics({ unmatchedRoute }) must be a non-empty string such as '#unmatched', got ${describeValue(unmatchedRoute)}`);
  }
  const maxRoutes = options.maxRoutes ?? DEFAULT_MAX_ROUTES;
  if (typeof maxRoutes !== 'number') throw new TypeError(`httpMetrics({ maxRoutes }) must be a number, got ${describeValue(maxRoutes)}`);
  if (!Number.isSafeInteger(maxRoutes) || maxRoutes < 1) {
    throw new RangeError(`httpMetrics({ maxRoutes }) must be a positive integer, got ${maxRoutes}`);
  }
  const now = options.now ?? performance.now.bind(performance);
  if (typeof now !== 'function') throw new TypeError(`httpMetrics({ now }) must be a function returning milliseconds, got ${describeValue(now)}`);

  const duration: Histogram<string> = wardHistogram(registry, {
    prefix,
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests through the ward chain, in seconds, by method, route template and status class.',
    labelNames: LABEL_NAMES,
    buckets,
  });
  const inFlight: Gauge<string> = wardGauge(registry, {
    prefix,
    name: 'http_requests_in_flight',
    help: 'HTTP requests currently inside the ward chain.',
  });
  const series = new SeriesCache(duration, { maxRoutes, unmatchedRoute, overflowRoute: OVERFLOW_ROUTE });

  /** One observation; never throws, so metrics cannot turn an answer into an error. */
  function record(ctx: Context, status: number, start: number): void {
    const elapsed = (now() - start) / 1000;
    // A clock that went backwards (or a broken injected one) counts as 0 s.
    const seconds = elapsed >= 0 && elapsed < Infinity ? elapsed : 0;
    series.child(ctx.req.route ?? unmatchedRoute, methodIndex(ctx.req.method), statusClassIndex(status)).observe(seconds);
  }

  const described = { registry, prefix, buckets, unmatchedRoute, maxRoutes, now: options.now };
  return defineMiddleware('httpMetrics', described, async function httpMetrics(ctx, next) {
    const start = now();
    inFlight.inc();
    try {
      await next();
    } catch (error) {
      inFlight.dec();
      // The status the error stands for, as the adapters answer it (an http-errors 413 is a 4xx, not a 5xx).
      record(ctx, answeredStatus(error, ctx.adapter), start);
      throw error;
    }
    inFlight.dec();
    const res = ctx.res;
    // Nothing answered: the adapter sends a 404 after the chain returns.
    record(ctx, res.answered || res.committed ? res.status : 404, start);
  });
}
markFactory(httpMetrics);
