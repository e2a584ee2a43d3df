/**
 * Starts the Fastify example: `node examples/fastify/main.js`.
 * Env: PORT (default 3002), HOST (default 127.0.0.1), REDIS_URL, CORS_ORIGINS,
 * REQUEST_TIMEOUT_MS (see server/env.js).
 */
import { describeEdge, describeStore, readEnv } from '../server/env.js';
import { createRateLimitStore } from '../server/rate-limits.js';
import { shutdownOnSignals } from '../server/signals.js';
import { createFastifyApp } from './app.js';

const env = readEnv(process.env, 3002);
const rateLimits = await createRateLimitStore(env.store);
const app = await createFastifyApp({ corsOrigins: env.corsOrigins, timeoutMs: env.timeoutMs, rateLimitStore: rateLimits.store });
const url = await app.listen({ port: env.port, host: env.host });
// app.close() stops accepting and waits for requests in flight (Fastify's own graceful close).
shutdownOnSignals('fastify example', () => app.close().then(rateLimits.close));
console.log(`Fastify example listening on ${url}`);
console.log(describeStore(env.store));
console.log(describeEdge(env));
