/**
 * The Hono reference of the issue (no ward adapter for Hono): how much a
 * JWT chain costs there. Variants:
 * - `bare`: one `c.json()` route on @hono/node-server
 * - `peers`: `hono/jwt` (HS256) and a role check
 */
import { serve as honoServe } from '@hono/node-server';
import { Hono } from 'hono';
import { reportReady, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { SECRET } from './auth.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'peers']);
const app = new Hono();
const peers = [nodePeer(), peer('hono'), peer('@hono/node-server')];

if (variant === 'peers') {
  const { jwt } = await import('hono/jwt');
  app.use('*', jwt({ secret: SECRET, alg: 'HS256' }));
  app.use('*', async (c, next) => {
    const roles = /** @type {{ roles?: unknown }} */ (c.get('jwtPayload')).roles;
    if (!Array.isArray(roles) || !roles.includes('admin')) return c.body(null, 403);
    await next();
    return undefined;
  });
}

app.get('/', (c) => c.json(PAYLOAD));

const server = honoServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => reportReady(info.port, peers));
void server;
