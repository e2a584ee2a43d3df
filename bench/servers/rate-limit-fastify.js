/**
 * Rate limiting on Fastify 5 (issue "rate-limit"): the per-request cost of
 * a limiter that allows every request. Variants:
 * - `bare`: one route returning the payload
 * - `ward`: the same after `await app.register(ward([rateLimit({ policies: [HUGE] })]))`
 * - `peers`: the same after `await app.register(fastifyRateLimit, { max: 1e9, timeWindow: 60 000, enableDraftSpec: true })`
 *
 * Every request comes from 127.0.0.1, so each variant decides on one key
 * (its default key: the client address) and every decision is "allowed".
 */
import Fastify from 'fastify';
import { reportReady, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';
import { HUGE_POLICY } from './rate-limit.js';

const variant = variantArg(['bare', 'ward', 'peers']);
const app = Fastify({ logger: false });
const peers = [nodePeer(), peer('fastify')];

if (variant === 'ward') {
  const { ward } = await import('@ward/fastify');
  const { rateLimit } = await import('@ward/rate-limit');
  await app.register(ward([rateLimit({ policies: [HUGE_POLICY] })]));
  peers.push(peer('@ward/fastify'), peer('@ward/rate-limit'), peer('lru-cache'));
} else if (variant === 'peers') {
  const { default: fastifyRateLimit } = await import('@fastify/rate-limit');
  // Global (every route), its default in-memory LRU store; the IETF draft fields rather than X-RateLimit-*.
  await app.register(fastifyRateLimit, { max: HUGE_POLICY.limit, timeWindow: HUGE_POLICY.windowMs, enableDraftSpec: true });
  peers.push(peer('@fastify/rate-limit'));
}

app.get('/', async () => PAYLOAD);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
reportReady(address.port, peers);
