/**
 * The Express example (examples/express): the shared user API contract over
 * a real socket, plus what is Express-specific.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { listen, request } from '@ward/core/testing';
import { createExpressApp } from '../../examples/express/app.js';
import { testStore, userApiScenarios } from './user-api.js';

userApiScenarios({
  name: 'express',
  longId: { status: 404, code: 'USER_NOT_FOUND' },
  async start({ store, registry, onError }) {
    return listen(createExpressApp({ store, registry, onError }));
  },
});

describe('express example', () => {
  it('does not advertise itself (no X-Powered-By)', async () => {
    const server = await listen(createExpressApp({ store: testStore().store, registry: new Registry() }));
    try {
      const res = await request(`${server.url}/health`);
      expect(res.status).toBe(200);
      expect(res.headers['x-powered-by']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
