/**
 * The example's user API, `GET /api/v1/users/:id` under load. Variants:
 * - `bare`: node:http with a hand-written router (servers/hand-router.js)
 * - `engine`: `@ward/engine` with the same route table, the users routes
 *   being the example's own (examples/server/users/routes.js); no
 *   middleware, so the figure is the engine's own cost
 * Both use the example's store, seeded with the same 100 users; the load
 * hits the 50th.
 */
import { createServer } from 'node:http';
import { createUserStore } from '../../examples/server/users/store.js';
import { API_PREFIX, userLocation } from '../../examples/server/users/paths.js';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { handRouter } from './hand-router.js';

const variant = variantArg(['bare', 'engine']);

const store = createUserStore();
/** @type {string[]} */
const ids = [];
for (let i = 0; i < 100; i++) {
  const result = await store.create({ name: `User ${i}`, email: `user${i}@example.com`, age: 18 + (i % 80), role: 'user' });
  if (!result.ok) throw new Error(`seeding failed: ${result.reason}`);
  ids.push(result.user.id);
}
const path = userLocation(/** @type {string} */ (ids[49]));

/** @type {import('node:http').RequestListener} */
let listener;
const peers = [nodePeer()];
if (variant === 'bare') {
  listener = handRouter(store);
} else {
  const { Engine } = await import('@ward/engine');
  const { mountUserRoutes } = await import('../../examples/server/users/routes.js');
  const engine = new Engine();
  engine.get('/health', (ctx) => ctx.json(200, { status: 'ok' }));
  mountUserRoutes(engine.group(API_PREFIX), store);
  listener = engine.handler;
  peers.push(peer('@ward/engine'));
}

await serve(createServer(listener), peers, path);
