/**
 * THE ward chain of the examples, in one place. The engine server, the
 * Express example and the Fastify example all mount exactly this list, so
 * they behave the same. Order matters (onion): the first entry wraps all
 * the others.
 *
 * Later issues add their middleware HERE, in this order:
 *   httpMetrics        — first, so it times and counts everything below
 *   (requestId)        — next, so every answer and log line carries the id
 *   (recovery, timeout, securityHeaders, cors, rateLimit, auth, cache …)
 *   serverTiming       — last, closest to the handler
 */
import { httpMetrics } from '@ward/metrics';
import { serverTiming } from './middleware/server-timing.js';

/**
 * @typedef {object} ChainOptions
 * @property {import('@ward/metrics').MetricsRegistry} registry where the metrics go (the one `/metrics` serves)
 */

/**
 * @param {ChainOptions} options
 * @returns {import('@ward/core').Middleware[]}
 */
export function wardChain({ registry }) {
  return [
    httpMetrics({ registry }),
    serverTiming(),
  ];
}
