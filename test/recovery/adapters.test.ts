/**
 * recovery() through real HTTP on the ward engine, Express 5, Express 4,
 * Fastify 5 and node:http: the same answer and the same report on every
 * stack, with the route template where the stack knows it; and a stream that
 * breaks mid-way is cut and reported as committed where its error reaches
 * `next()`.
 */
import { get } from 'node:http';
import type { Middleware } from '@ward/core';
import { type TestServer, deferred, request } from '@ward/core/testing';
import { recovery } from '@ward/recovery';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Routes, STACKS, kindCounts, recorder } from './http.js';

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const identify: Middleware = function identify(ctx, next) {
  ctx.state.requestId = 'rid-1';
  (ctx.state as { user?: unknown }).user = { id: 7, name: 'ada' };
  return next();
};

function routes(): Routes & { releaseNow(): void } {
  const release = deferred();
  return {
    failing: new Error('user lookup failed'),
    release: release.promise,
    releaseNow: () => release.resolve(),
    broken: new Error('broken'),
  };
}

const PROBLEM = '{"type":"urn:ward:problem:internal-error","title":"Internal Server Error","status":500,"code":"INTERNAL_ERROR","request_id":"rid-1"}';

for (const stack of STACKS) {
  describe(stack.name, () => {
    it('answers a failing route 500 problem+json with the request id, and reports it with the route template and user id', async () => {
      const registry = new Registry();
      const { reports, onError } = recorder();
      const r = routes();
      const server = await stack.start([identify, recovery({ registry, onError })], r);
      servers.push(server);

      const res = await request(`${server.url}/users/42?token=abc`, { headers: { authorization: 'Bearer abc', 'x-trace': 't' } });

      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(PROBLEM)));
      expect(res.text).toBe(PROBLEM);
      expect(reports).toHaveLength(1);
      const report = reports[0]!;
      expect(report.error).toBe(r.failing);
      expect([report.source, report.kind, report.status, report.code, report.committed]).toEqual(['request', 'error', 500, 'INTERNAL_ERROR', false]);
      expect([report.method, report.route, report.path, report.requestId, report.userId]).toEqual(['GET', stack.route, '/users/42', 'rid-1', '7']);
      expect(report.headers.authorization).toBe('[redacted]');
      expect(report.headers['x-trace']).toBe('t');
      expect(await kindCounts(registry)).toEqual({ error: 1 });
    });

    it('in development mode the answer carries the message and the stack', async () => {
      const r = routes();
      const server = await stack.start([recovery({ registry: new Registry(), onError: [] })], r, { development: true });
      servers.push(server);

      const res = await request(`${server.url}/users/1`);

      expect(res.status).toBe(500);
      const body = res.json<Record<string, unknown>>();
      expect(body).toEqual({
        type: 'urn:ward:problem:internal-error',
        title: 'Internal Server Error',
        status: 500,
        code: 'INTERNAL_ERROR',
        detail: 'user lookup failed',
        stack: expect.any(Array),
      });
      expect((body.stack as string[])[0]).toBe('Error: user lookup failed');
    });
  });
}

// Express and node:http hand a handler's mid-stream failure to next(); the engine's
// ctx.stream() and Fastify's stream payloads report it through their own channels.
for (const stack of STACKS.filter((s) => s.name === 'express' || s.name === 'express4' || s.name === 'node')) {
  describe(`${stack.name}: streaming`, () => {
    it('a handler that fails after streaming started: the connection is cut, never written twice, reported once as committed', async () => {
      const registry = new Registry();
      const { reports, onError } = recorder();
      const r = routes();
      const server = await stack.start([recovery({ registry, onError })], r);
      servers.push(server);

      const seen = await new Promise<{ status: number | undefined; received: string; cut: boolean }>((resolve, reject) => {
        let received = '';
        get(`${server.url}/stream/1`, (res) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.toString('utf8');
            r.releaseNow();
          });
          res.once('error', () => resolve({ status: res.statusCode, received, cut: true }));
          res.once('end', () => resolve({ status: res.statusCode, received, cut: false }));
        }).once('error', reject);
      });

      expect(seen).toEqual({ status: 200, received: 'one\n', cut: true });
      expect(reports.map((report) => [report.error, report.kind, report.status, report.committed])).toEqual([[r.broken, 'error', 200, true]]);
      expect(await kindCounts(registry)).toEqual({ error: 1 });
      // The server still answers.
      expect((await request(`${server.url}/users/1`)).status).toBe(500);
    });
  });
}

describe('errors that carry a client status by the http-errors convention', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("Express: body-parser's 400 for broken JSON and 413 for a big body stay 4xx problems, not reported", async () => {
    const { default: express } = await import('express');
    const { ward } = await import('@ward/express');
    const { listen } = await import('@ward/core/testing');
    const registry = new Registry();
    const { reports, onError } = recorder();
    const app = express();
    app.use(ward([recovery({ registry, onError })]));
    app.post('/echo', express.json({ limit: '1kb' }), (req, res) => res.json(req.body));
    const server = await listen(app as unknown as Parameters<typeof listen>[0]);
    servers.push(server);
    const broken = await request(`${server.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect([broken.status, broken.headers['content-type']]).toEqual([400, 'application/problem+json']);
    expect(broken.json()).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    const big = await request(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(2048) }),
    });
    expect([big.status, (big.json() as { code?: string }).code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(reports).toEqual([]);
    expect(await kindCounts(registry)).toMatchObject({ http_error: 2 });
  });

  it('a plain object with a status is not trusted: 500, reported', async () => {
    const registry = new Registry();
    const { reports, onError } = recorder();
    const { Engine } = await import('@ward/engine');
    const { listen } = await import('@ward/core/testing');
    const engine = new Engine();
    engine.use(recovery({ registry, onError }));
    engine.get('/x', () => {
      throw { status: 403, message: 'looks like a 403' };
    });
    const server = await listen(engine.handler);
    servers.push(server);
    const res = await request(`${server.url}/x`);
    expect(res.status).toBe(500);
    expect(reports).toHaveLength(1);
  });
});
