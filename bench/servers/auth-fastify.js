/**
 * JWT + role check on Fastify 5 (issue "auth"), repeated tokens. Variants:
 * - `bare`: one route
 * - `pass`: `register(ward([passThrough]))`, the adapter alone (to tell its cost from auth's)
 * - `ward`: `register(ward([jwtAuth(…), rbac(…).requireRole('admin')]))` (decision logs off)
 * - `peers`: @fastify/jwt 10 (`request.jwtVerify()` in an onRequest hook, its defaults: no verify cache) and a role check
 */
import Fastify from 'fastify';
import { reportReady, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { AUDIENCE, ISSUER, JWT_OPTIONS, ROLES, SECRET } from './auth.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'pass', 'ward', 'peers']);
const app = Fastify({ logger: false });
const peers = [nodePeer(), peer('fastify')];

if (variant === 'pass') {
  const { ward } = await import('@ward/fastify');
  await app.register(ward([(_ctx, next) => next()]));
  peers.push(peer('@ward/fastify'));
} else if (variant === 'ward') {
  const { ward } = await import('@ward/fastify');
  const { jwtAuth, rbac } = await import('@ward/auth');
  const access = rbac({ roles: ROLES, logger: false });
  await app.register(ward([jwtAuth(JWT_OPTIONS), access.requireRole('admin')]));
  peers.push(peer('@ward/fastify'), peer('@ward/auth'), peer('jose'));
} else if (variant === 'peers') {
  const { default: fastifyJwt } = await import('@fastify/jwt');
  await app.register(fastifyJwt, { secret: SECRET, verify: { algorithms: ['HS256'], allowedIss: ISSUER, allowedAud: AUDIENCE } });
  app.addHook('onRequest', async (request, reply) => {
    await request.jwtVerify();
    const roles = /** @type {{ roles?: unknown }} */ (request.user).roles;
    if (!Array.isArray(roles) || !roles.includes('admin')) return reply.code(403).send();
    return undefined;
  });
  peers.push(peer('@fastify/jwt'), peer('fast-jwt'));
}

app.get('/', async () => PAYLOAD);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
reportReady(address.port, peers);
