/**
 * The Fastify example (examples/fastify): the shared user API contract over
 * a real socket, plus what is Fastify-specific.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { listen, request } from '@ward/core/testing';
import { createFastifyApp } from '../../examples/fastify/app.js';
import { ALLOWED_ORIGIN, collectingLogger, expectProblem, testStore, userApiScenarios, type ExampleTarget } from './user-api.js';
import { authApiScenarios } from './auth-api.js';
import { externalApiScenarios } from './external-api.js';

const target: ExampleTarget = {
  name: 'fastify',
  longId: { status: 414, code: 'URI_TOO_LONG' },
  async start(deps) {
    const app = await createFastifyApp(deps);
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
};

userApiScenarios(target);
authApiScenarios(target);
externalApiScenarios(target);

describe('fastify example', () => {
  it('answers Fastify raises before routing (malformed percent-escape, 414) still go through the ward chain', async () => {
    const log = collectingLogger();
    const app = await createFastifyApp({ store: testStore().store, registry: new Registry(), logger: log.logger, corsOrigins: [ALLOWED_ORIGIN] });
    await app.ready();
    const server = await listen(app.server);
    try {
      const bad = await request(`${server.url}/api/v1/users/%E0%A4%A`, { headers: { 'x-request-id': 'pre-1', origin: ALLOWED_ORIGIN } });
      expect(expectProblem(bad, 400, 'BAD_REQUEST').request_id).toBe('pre-1');
      expect(bad.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      const long = await request(`${server.url}/api/v1/users/${'a'.repeat(101)}`, { headers: { 'x-request-id': 'pre-2' } });
      expect(expectProblem(long, 414, 'URI_TOO_LONG').request_id).toBe('pre-2');
      expect(log.access().map((r) => [r.request_id, r.route, r.status])).toEqual([
        ['pre-1', null, 400],
        ['pre-2', null, 414],
      ]);
    } finally {
      await server.close();
      await app.close();
    }
  });

  it('serves /metrics only under its own prefix: /metrics/x is a 404', async () => {
    const app = await createFastifyApp({ store: testStore().store, registry: new Registry(), logger: collectingLogger().logger });
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
