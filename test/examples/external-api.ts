/**
 * The example's outbound calls, the same on every framework:
 * `GET /api/v1/external` through resilientFetch against the flaky local
 * upstream (examples/server/external/upstream.js) — its failing half hidden
 * by retries, the request id sent on — and, with the upstream down, 502s
 * until the breaker opens, then 503 CIRCUIT_OPEN with Retry-After without
 * calling it, as `GET /api/v1/health/circuits` shows. Both are under
 * /api/v1/, so a signed-in user only (`request` sends the admin token).
 */
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FlakyUpstream, startFlakyUpstream } from '../../examples/server/external/upstream.js';
import { ALLOWED_ORIGIN, type ExampleTarget, collectingLogger, expectProblem, request, testStore, withAuth } from './user-api.js';

type StartedApp = Awaited<ReturnType<ExampleTarget['start']>>;

export function externalApiScenarios(target: ExampleTarget): void {
  describe(`${target.name}: outbound calls (GET /api/v1/external, /api/v1/health/circuits)`, () => {
    let upstream: FlakyUpstream;
    let app: StartedApp;
    beforeEach(async () => {
      upstream = await startFlakyUpstream();
      app = await target.start(await withAuth({ store: testStore().store, registry: new Registry(), onError: () => {}, logger: collectingLogger().logger, corsOrigins: [ALLOWED_ORIGIN], upstreamUrl: upstream.url }));
    });
    afterEach(async () => {
      await app.close();
      await upstream.close();
    });

    it('no token: 401 with the Bearer challenge on both routes, and the upstream is never called', async () => {
      for (const path of ['/api/v1/external', '/api/v1/health/circuits']) {
        const res = await request(`${app.url}${path}`, { headers: { authorization: '' } });
        expectProblem(res, 401, 'TOKEN_MISSING');
        expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
        const bad = await request(`${app.url}${path}`, { headers: { authorization: 'Bearer not.a.token' } });
        expectProblem(bad, 401, 'TOKEN_INVALID');
      }
      expect(upstream.requests()).toBe(0);
    });

    it('a flaky upstream (every other request fails): every answer is a 200, retried behind the scenes, with our request id sent on', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await request(`${app.url}/api/v1/external`);
        expect(res.status).toBe(200);
        const body = res.json<{ source: string; data: { requestId: string } }>();
        expect(body.source).toBe('rates');
        expect(body.data.requestId).toBe(res.headers['x-request-id']);
      }
      expect(upstream.requests()).toBe(20);
      const circuits = (await request(`${app.url}/api/v1/health/circuits`)).json<{ circuits: { name: string; state: string; failureRate: number }[] }>();
      expect(circuits.circuits).toEqual([expect.objectContaining({ name: `rates:${new URL(upstream.url).host}`, state: 'closed', failureRate: 50 })]);
    });

    it('the upstream down: 502 UPSTREAM_FAILED until the breaker opens, then 503 CIRCUIT_OPEN with Retry-After and no upstream call', async () => {
      upstream.setMode('down');
      let opened = false;
      for (let i = 0; i < 10 && !opened; i++) {
        const res = await request(`${app.url}/api/v1/external`);
        if (res.status === 503) opened = true;
        else expectProblem(res, 502, 'UPSTREAM_FAILED');
      }
      expect(opened).toBe(true);
      const before = upstream.requests();
      const res = await request(`${app.url}/api/v1/external`);
      expectProblem(res, 503, 'CIRCUIT_OPEN');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(5);
      expect(upstream.requests()).toBe(before);
      const circuits = await request(`${app.url}/api/v1/health/circuits`);
      expect(circuits.headers['cache-control']).toBe('no-store');
      expect(circuits.json<{ circuits: { state: string; trips: number }[] }>().circuits).toEqual([expect.objectContaining({ state: 'open', trips: 1 })]);
    });
  });
}
