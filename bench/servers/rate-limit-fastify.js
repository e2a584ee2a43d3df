/**
 * Rate limiting on Fastify 5 (issue "rate-limit"): the per-request cost of
 * a limiter that allows every request, and of one that refuses every request. Variants:
 * - `bare`: one route returning the payload
 * - `ward`: the same after `await app.register(ward([rateLimit({ policies: [HUGE] })]))`
 * - `peers`: the same after `await app.register(fastifyRateLimit, { max: 1e9, timeWindow: 60 000, enableDraftSpec: true })`
 *
 * - `ward-refuse`, `peers-refuse`: `ward` and `peers` allowing one request an
 *   hour: after the first, every request is refused (429), the path a flood takes
 *
 * Every request comes from 127.0.0.1, so each variant decides on one key
 * (its default key: the client address): every decision is "allowed", or in
 * the `*-refuse` variants "limited".
 */
import Fastify from 'fastify';
import { reportReady, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';
import { HUGE_POLICY, TINY_POLICY } from './rate-limit.js';

const variant = variantArg(['bare', 'ward', 'peers', 'ward-refuse', 'peers-refuse']);
const app = Fastify({ logger: false });
const peers = [nodePeer(), peer('fastify')];

// The `*-refuse` variants allow one request an hour: the load measures the refusal (429) path.
const policy = variant.endsWith('-refuse') ? TINY_POLICY : HUGE_POLICY;

if (variant.startsWith('ward')) {
  const { ward } = await import('@ward/fastify');
  const { rateLimit } = await import('@ward/rate-limit');
  await app.register(ward([rateLimit({ policies: [policy] })]));
  peers.push(peer('@ward/fastify'), peer('@ward/rate-limit'), peer('lru-cache'));
} else if (variant.startsWith('peers')) {
  const { default: fastifyRateLimit } = await import('@fastify/rate-limit');
  // Global (every route), its default in-memory LRU store; the IETF draft fields rather than X-RateLimit-*.
  await app.register(fastifyRateLimit, { max: policy.limit, timeWindow: policy.windowMs, enableDraftSpec: true });
  peers.push(peer('@fastify/rate-limit'));
}

app.get('/', async () => PAYLOAD);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
reportReady(address.port, peers);
