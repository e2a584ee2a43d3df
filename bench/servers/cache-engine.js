/**
 * The response cache on the engine (issue "cache"). Variants:
 * - `bare`: one route answering the payload
 * - `hit`: the same route behind `responseCache()` (memory store), every request a hit
 * - `slow`: the route spends 1 ms of CPU per request, uncached
 * - `slow-hit`: the 1 ms route behind `responseCache()`, every request a hit
 */
import { createServer } from 'node:http';
import { Engine } from '@ward/engine';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { busyMillisecond, CACHE_CONTROL } from './cache.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'hit', 'slow', 'slow-hit']);
const engine = new Engine();
const peers = [nodePeer(), peer('@ward/engine')];
const slow = variant === 'slow' || variant === 'slow-hit';
/** @type {import('@ward/core').Middleware<import('@ward/engine').EngineContext>} */
const handler = (ctx) => {
  if (slow) busyMillisecond();
  ctx.json(200, PAYLOAD, { 'cache-control': CACHE_CONTROL });
};
if (variant === 'hit' || variant === 'slow-hit') {
  const { responseCache } = await import('@ward/cache');
  engine.get('/', responseCache(), handler);
  peers.push(peer('@ward/cache'), peer('http-cache-semantics'), peer('lru-cache'));
} else {
  engine.get('/', handler);
}

await serve(createServer(engine.handler), peers);
