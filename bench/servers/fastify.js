/**
 * Fastify 5 overhead server. Variants:
 * - `bare`: one route returning the payload
 * - `ward`: the same after `await app.register(ward([passThrough]))`
 * - `metrics`: the same after `await app.register(ward([httpMetrics()]))`
 */
import Fastify from 'fastify';
import { passThrough, reportReady, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'ward', 'metrics']);
const app = Fastify({ logger: false });
const peers = [nodePeer(), peer('fastify')];

if (variant !== 'bare') {
  const { ward } = await import('@ward/fastify');
  peers.push(peer('@ward/fastify'));
  if (variant === 'ward') {
    await app.register(ward([passThrough]));
  } else {
    const { httpMetrics } = await import('@ward/metrics');
    peers.push(peer('@ward/metrics'), peer('prom-client'));
    await app.register(ward([httpMetrics()]));
  }
}

app.get('/', async () => PAYLOAD);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
reportReady(address.port, peers);
