/**
 * The response cache on Fastify 5 (issue "cache"). Variants:
 * - `bare`: one route answering the payload
 * - `hit`: the same route behind `register(ward([responseCache()]))` (memory store), every request a hit
 * - `slow`: the route spends 1 ms of CPU per request, uncached
 * - `slow-hit`: the 1 ms route behind the cache, every request a hit
 */
import Fastify from 'fastify';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { busyMillisecond, CACHE_CONTROL } from './cache.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'hit', 'slow', 'slow-hit']);
const app = Fastify();
const peers = [nodePeer(), peer('fastify')];
const slow = variant === 'slow' || variant === 'slow-hit';
if (variant === 'hit' || variant === 'slow-hit') {
  const { ward } = await import('@ward/fastify');
  const { responseCache } = await import('@ward/cache');
  await app.register(ward([responseCache()]));
  peers.push(peer('@ward/fastify'), peer('@ward/cache'), peer('http-cache-semantics'), peer('lru-cache'));
}
app.get('/', async (_request, reply) => {
  if (slow) busyMillisecond();
  return reply.header('cache-control', CACHE_CONTROL).send(PAYLOAD);
});
await app.ready();

await serve(app.server, peers);
