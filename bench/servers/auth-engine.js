/**
 * JWT + role check on the ward engine (issue "auth"), repeated tokens. Variants:
 * - `bare`: one `ctx.json()` route
 * - `ward`: `engine.use(jwtAuth(…), rbac(…).requireRole('admin'))` (decision logs off)
 */
import { createServer } from 'node:http';
import { Engine } from '@ward/engine';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { JWT_OPTIONS, ROLES } from './auth.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'ward']);
const engine = new Engine();
const peers = [nodePeer(), peer('@ward/engine')];

if (variant === 'ward') {
  const { jwtAuth, rbac } = await import('@ward/auth');
  const access = rbac({ roles: ROLES, logger: false });
  engine.use(jwtAuth(JWT_OPTIONS), access.requireRole('admin'));
  peers.push(peer('@ward/auth'), peer('jose'));
}

engine.get('/', (ctx) => {
  ctx.json(200, PAYLOAD);
});

await serve(createServer(engine.handler), peers);
