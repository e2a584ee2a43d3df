/**
 * The Fastify example (examples/fastify): the shared user API contract over
 * a real socket, plus what is Fastify-specific.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { listen, request } from '@ward/core/testing';
import { createFastifyApp } from '../../examples/fastify/app.js';
import { testStore, userApiScenarios } from './user-api.js';

userApiScenarios({
  name: 'fastify',
  longId: { status: 414, code: 'URI_TOO_LONG' },
  async start({ store, registry, onError }) {
    const app = await createFastifyApp({ store, registry, onError });
    await app.ready();
    const server = await listen(app.server);
    return {
      url: server.url,
      async close() {
        await server.close();
        await app.close();
      },
    };
  },
});

describe('fastify example', () => {
  it('serves /metrics only under its own prefix: /metrics/x is a 404', async () => {
    const app = await createFastifyApp({ store: testStore().store, registry: new Registry() });
    await app.ready();
    const server = await listen(app.server);
    try {
      expect((await request(`${server.url}/metrics`)).status).toBe(200);
      const res = await request(`${server.url}/metrics/x`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/problem+json');
    } finally {
      await server.close();
      await app.close();
    }
  });
});
