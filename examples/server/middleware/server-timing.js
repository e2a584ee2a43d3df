/**
 * `serverTiming()`: the small example middleware of the examples. It adds
 * `Server-Timing: app;dur=<ms>` (W3C Server Timing) AFTER the handler has
 * run, which works on every adapter because ward holds the response until
 * the outermost middleware returns (deferred commit). A streamed response
 * is already on the wire, so it is left alone.
 */
import { defineMiddleware, markFactory } from '@ward/core';

/**
 * @typedef {object} ServerTimingOptions
 * @property {string} [metric] the Server-Timing metric name. Default: `'app'`.
 * @property {() => number} [now] clock in milliseconds (fractions allowed). Default: `performance.now()`.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * @param {ServerTimingOptions} [options]
 * @returns {import('@ward/core').Middleware}
 * @example
 * engine.use(serverTiming());            // Server-Timing: app;dur=0.42
 * app.use(ward([serverTiming({ metric: 'api' })]));
 */
export function serverTiming(options = {}) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`serverTiming(options): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const metric = options.metric ?? 'app';
  // RFC 9110 §5.6.2: the metric name is a token.
  if (typeof metric !== 'string' || !TOKEN.test(metric)) {
    throw new TypeError(`serverTiming({ metric }) must be an HTTP token such as 'app', got ${JSON.stringify(metric)}`);
  }
  const now = options.now ?? (() => performance.now());
  if (typeof now !== 'function') throw new TypeError(`serverTiming({ now }) must be a function returning milliseconds, got ${typeof now}`);
  const prefix = `${metric};dur=`;

  return defineMiddleware('serverTiming', { metric, now: options.now }, async function serverTiming(ctx, next) {
    const start = now();
    try {
      await next();
    } finally {
      if (!ctx.res.committed) ctx.res.appendHeader('server-timing', prefix + Math.max(0, now() - start).toFixed(1));
    }
  });
}
markFactory(serverTiming);
