/**
 * A route behind a circuit breaker on Fastify 5 (issue "circuit-breaker"):
 * the per-request cost of a closed breaker whose route always succeeds.
 * Variants:
 * - `bare`: one route returning the payload
 * - `pass`: the same route in a scope with `register(ward([passThrough]))` (the adapter alone)
 * - `ward`: the same route in a scope with `register(ward([circuitBreaker()]))`
 * - `peers`: the same route with `@fastify/circuit-breaker`'s
 *   `preHandler: app.circuitBreaker()` (its defaults: a 10 s timeout, 5 failures)
 */
import Fastify from 'fastify';
import { reportReady, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'ward', 'pass', 'peers']);
const app = Fastify({ logger: false });
const peers = [nodePeer(), peer('fastify')];
const handler = async () => PAYLOAD;

if (variant === 'ward') {
  const { ward } = await import('@ward/fastify');
  const { circuitBreaker } = await import('@ward/circuit-breaker');
  await app.register(async (scope) => {
    await scope.register(ward([circuitBreaker({ name: 'bench' })]));
    scope.get('/', handler);
  });
  peers.push(peer('@ward/fastify'), peer('@ward/circuit-breaker'));
} else if (variant === 'pass') {
  // The adapter alone, in the same scope: what the breaker itself adds is ward − pass.
  const { ward } = await import('@ward/fastify');
  const { passThrough } = await import('../lib/child.js');
  await app.register(async (scope) => {
    await scope.register(ward([passThrough]));
    scope.get('/', handler);
  });
  peers.push(peer('@ward/fastify'));
} else if (variant === 'peers') {
  const { default: fastifyCircuitBreaker } = await import('@fastify/circuit-breaker');
  await app.register(fastifyCircuitBreaker);
  await app.register(async (scope) => {
    scope.get('/', { preHandler: scope.circuitBreaker() }, handler);
  });
  peers.push(peer('@fastify/circuit-breaker'));
} else {
  app.get('/', handler);
}

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
reportReady(address.port, peers);
