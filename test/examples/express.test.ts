/**
 * The Express example (examples/express): the shared user API contract over
 * a real socket, plus what is Express-specific.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { listen } from '@ward/core/testing';
import { createExpressApp } from '../../examples/express/app.js';
import { ADA, ALLOWED_ORIGIN, collectingLogger, request, testStore, userApiScenarios, withAuth, type ExampleTarget } from './user-api.js';
import { authApiScenarios } from './auth-api.js';
import { externalApiScenarios } from './external-api.js';

const target: ExampleTarget = {
  name: 'express',
  longId: { status: 404, code: 'USER_NOT_FOUND' },
  async start(deps) {
    return listen(createExpressApp(deps));
  },
};

userApiScenarios(target);
authApiScenarios(target);
externalApiScenarios(target);

describe('express example', () => {
  it('does not advertise itself: no X-Powered-By, though the app does not disable it (securityHeaders removes it)', async () => {
    const app = createExpressApp(await withAuth({ store: testStore().store, registry: new Registry(), logger: collectingLogger().logger, onError: () => {}, corsOrigins: [ALLOWED_ORIGIN] }));
    // Express's own setting is left on: the chain is what removes the header.
    expect(app.enabled('x-powered-by')).toBe(true);
    const server = await listen(app);
    try {
      for (const path of ['/health', '/metrics', '/api/v1/users/nobody', '/nowhere', '/api/v1/users/%E0%A4%A']) {
        const res = await request(`${server.url}${path}`);
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
      const created = await request(`${server.url}/api/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADA) });
      expect(created.status).toBe(201);
      expect(created.headers['x-powered-by']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
