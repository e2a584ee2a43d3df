/**
 * Starts the Fastify example: `node examples/fastify/main.js`.
 * Env: PORT (default 3002), HOST (default 127.0.0.1), REDIS_URL, CORS_ORIGINS,
 * REQUEST_TIMEOUT_MS (see server/env.js).
 */
import { describeEdge, describeStore, readEnv } from '../server/env.js';
import { createServices } from '../server/services.js';
import { shutdownOnSignals } from '../server/signals.js';
import { createFastifyApp } from './app.js';

const env = readEnv(process.env, 3002);
const services = await createServices(env);
const app = await createFastifyApp({ corsOrigins: env.corsOrigins, timeoutMs: env.timeoutMs, rateLimitStore: services.rateLimitStore, cacheStore: services.cacheStore, store: services.store, auth: services.auth, upstreamUrl: services.upstreamUrl, circuitState: services.circuitState });
const url = await app.listen({ port: env.port, host: env.host });
// app.close() stops accepting and waits for requests in flight (Fastify's own graceful close).
shutdownOnSignals('fastify example', () => app.close().then(services.close));
console.log(`Fastify example listening on ${url}`);
console.log(describeStore(env.store));
console.log(describeEdge(env));
for (const note of services.notes) console.log(note);
