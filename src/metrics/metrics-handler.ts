/**
 * `metricsHandler()`: serves a registry in the Prometheus text format (or
 * OpenMetrics, when the registry is one) for GET and HEAD; any other method
 * is a 405 problem+json with `Allow: GET, HEAD`.
 */
import { describeValue } from '@ward/core';
import { HttpError, type Middleware, defineMiddleware, markFactory } from '@ward/core';
import { type DefaultMetricsCollectorConfiguration, type RegistryContentType, collectDefaultMetrics } from 'prom-client';
import { type MetricsRegistry, resolveRegistry } from './registry.js';

/** prom-client's default-metrics settings, without `register` (the handler's registry is used). */
export type DefaultMetricsOptions = Omit<DefaultMetricsCollectorConfiguration<RegistryContentType>, 'register'>;

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** The registry served. Default: prom-client's global `register` (where ward registers by default). */
  registry?: MetricsRegistry;
  /**
   * Serve only this exact path (`/metrics`) and pass every other request on
   * with `next()`: for stacks without a router (the node adapter, a global
   * Express/Fastify chain). Default: none; every request that reaches the
   * handler is answered, so mount it on a route.
   */
  path?: string;
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event
   * loop lag, GC) into the registry: `true`, or prom-client's settings
   * (`prefix`, `labels`, `gcDurationBuckets`, `eventLoopMonitoringPrecision`).
   * Started once per registry, and skipped when the registry already holds
   * them. Default: `false`: their values change on every scrape (tests
   * stay deterministic), and an app that already collects them would
   * otherwise register them twice.
   */
  collectDefaultMetrics?: boolean | DefaultMetricsOptions;
}

const ALLOW = 'GET, HEAD';

/**
 * Answers GET/HEAD with the registry's exposition (`Content-Type` from the
 * registry, `Cache-Control: no-store`). Does not call `next()` (unless a
 * `path` is set and does not match).
 *
 * Metrics reveal routes, traffic and process details: serve them on an
 * internal port, or put an auth middleware before the handler.
 *
 * @example
 * engine.get('/metrics', metricsHandler());
 * app.get('/metrics', ward([metricsHandler()])); // Express
 */
export function metricsHandler(options: MetricsHandlerOptions = {}): Middleware {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`metricsHandler(options): options must be an object, got ${describeValue(options)}`);
  }
  const registry = resolveRegistry(options.registry, 'metricsHandler({ registry })');
  const path = options.path;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new TypeError(`metricsHandler({ path }) must be a path starting with '/', such as '/metrics', got ${describeValue(path)}`);
  }
  const defaults = options.collectDefaultMetrics ?? false;
  if (typeof defaults !== 'boolean' && (typeof defaults !== 'object' || defaults === null)) {
    throw new TypeError(`metricsHandler({ collectDefaultMetrics }) must be a boolean or prom-client's settings object, got ${describeValue(defaults)}`);
  }
  if (defaults !== false) startDefaultMetrics(registry, defaults === true ? {} : defaults);

  const methodNotAllowed = (): HttpError =>
    new HttpError(405, { detail: 'The metrics endpoint answers GET and HEAD', headers: { allow: ALLOW } });

  return defineMiddleware(
    'metricsHandler',
    { registry, path, collectDefaultMetrics: defaults },
    async function metricsHandler(ctx, next) {
      if (path !== undefined && ctx.req.path !== path) return next();
      const method = ctx.req.method;
      if (method !== 'GET' && method !== 'HEAD') {
        ctx.problem(methodNotAllowed());
        return;
      }
      const body = await registry.metrics();
      ctx.respond(200, body, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    },
  );
}
markFactory(metricsHandler);

/** Registries that already collect default metrics through us. */
const collecting = new WeakSet<MetricsRegistry>();

/** Starts prom-client's default metrics on `registry`, once. */
function startDefaultMetrics(registry: MetricsRegistry, settings: DefaultMetricsOptions): void {
  if (collecting.has(registry)) return;
  collecting.add(registry);
  // Someone (the app, another library) already collects them on this registry.
  if (registry.getSingleMetric(`${settings.prefix ?? ''}process_cpu_user_seconds_total`) !== undefined) return;
  collectDefaultMetrics({ ...settings, register: registry } as DefaultMetricsCollectorConfiguration<RegistryContentType>);
}
