/**
 * Starts the example service: `npm start` (or `node examples/server/main.js`).
 * Env: PORT (default 3000), HOST (default 127.0.0.1), REDIS_URL (rate limits,
 * refresh tokens and revocations in Redis), JWT_SECRET, ADMIN_EMAIL/ADMIN_PASSWORD, CORS_ORIGINS, REQUEST_TIMEOUT_MS (see
 * env.js). SIGINT/SIGTERM shut it down gracefully. The startup lines come
 * first; then one JSON access-log line per request on stdout.
 */
import { createApp } from './app.js';
import { describeEdge, describeStore, readEnv } from './env.js';
import { createServices } from './services.js';
import { shutdownOnSignals } from './signals.js';

const env = readEnv(process.env, 3000);
const services = await createServices(env);
const app = createApp({ corsOrigins: env.corsOrigins, timeoutMs: env.timeoutMs, rateLimitStore: services.rateLimitStore, cacheStore: services.cacheStore, store: services.store, auth: services.auth, upstreamUrl: services.upstreamUrl, circuitState: services.circuitState });
const server = await app.listen({ port: env.port, host: env.host });
// Requests in flight finish; new connections are refused; after 10 s the rest are cut.
shutdownOnSignals('ward example', () => server.shutdown({ timeoutMs: 10_000 }).then(services.close));
console.log(`ward example listening on ${server.url}`);
console.log(describeStore(env.store));
console.log(describeEdge(env));
for (const note of services.notes) console.log(note);
console.log(`try: curl ${server.url}/health`);
