/**
 * The benchmark compares the engine with a hand-routed node:http server
 * (bench/servers/hand-router.js), and ward's edge chain with the peer chain
 * on each framework (bench/servers/edge.js). The comparisons are only fair
 * if both sides do the same work: this checks they give the same answers to
 * the requests the benchmark sends. No timings are asserted.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Engine } from '@ward/engine';
import { listen, request, type TestServer } from '@ward/core/testing';
import { handRouter } from '../../bench/servers/hand-router.js';
import { EDGE_REQUEST_HEADERS, checkBare, checkEdge, edgeEngine, edgeExpress, edgeFastify } from '../../bench/servers/edge.js';
import { PAYLOAD_JSON } from '../../bench/servers/payload.js';
import { mountUserRoutes } from '../../examples/server/users/routes.js';
import { API_PREFIX } from '../../examples/server/users/paths.js';
import { ADA, GRACE, testStore } from './user-api.js';

describe('bench baseline: hand-written router vs engine', () => {
  let bare: TestServer;
  let engine: TestServer;

  beforeAll(async () => {
    const { store } = testStore();
    await store.create(ADA);
    await store.create(GRACE);
    const app = new Engine();
    mountUserRoutes(app.group(API_PREFIX), store);
    bare = await listen(handRouter(store));
    engine = await listen(app.handler);
  });
  afterAll(async () => {
    await bare.close();
    await engine.close();
  });

  it.each(['/api/v1/users/u2', '/api/v1/users?page=1&limit=1'])('GET %s: same status, content type and body', async (path) => {
    const [a, b] = await Promise.all([request(`${bare.url}${path}`), request(`${engine.url}${path}`)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.headers['content-type']).toBe(b.headers['content-type']);
    expect(a.headers['content-length']).toBe(b.headers['content-length']);
    expect(a.text).toBe(b.text);
  });

  it.each([
    ['/api/v1/users/nobody', 404],
    ['/api/v1/users?limit=0', 400],
    ['/nowhere', 404],
  ])('GET %s: both %i problem+json', async (path, status) => {
    const [a, b] = await Promise.all([request(`${bare.url}${path}`), request(`${engine.url}${path}`)]);
    expect(a.status).toBe(status);
    expect(b.status).toBe(status);
    expect(a.headers['content-type']).toBe('application/problem+json');
    expect(b.headers['content-type']).toBe('application/problem+json');
  });

  describe('security: the baseline does not fall over on hostile paths either', () => {
    it.each([
      ['/api/v1/users/%E0%A4%A', 400],
      ['/api/v1/users/a/b', 404],
      [`/api/v1/users/${'a'.repeat(2000)}`, 404],
    ])('GET %s: %i', async (path, status) => {
      const res = await request(`${bare.url}${path}`);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json');
    });
  });
});

/**
 * The edge benchmark (bench/servers/edge.js) compares ward's six edge
 * middleware with the peer chain on the same framework. That is only a
 * comparison if both chains do the same visible work on the request the
 * benchmark sends: the same answer, a request id, nosniff, CORS for the
 * allowed origin. And the ward chain must really log (its logger goes to
 * /dev/null in the benchmark, where nobody would notice it stopped).
 */
describe('bench edge: ward chain vs peer chain answer alike', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const servers: TestServer[] = [];
  const logLines: string[] = [];
  const logDestination = { write: (chunk: string) => void logLines.push(...chunk.split('\n').filter(Boolean)) };
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    for (const variant of ['bare', 'ward'] as const) {
      const { listener } = await edgeEngine(variant, { logDestination });
      const server = await listen(listener);
      servers.push(server);
      urls[`engine ${variant}`] = server.url;
    }
    for (const variant of ['bare', 'ward', 'peers'] as const) {
      const { app } = await edgeExpress(variant, { logDestination });
      const express = await listen(app);
      servers.push(express);
      urls[`express ${variant}`] = express.url;
      const { app: fastify } = await edgeFastify(variant, { logDestination });
      await fastify.ready();
      const server = await listen(fastify.server);
      servers.push(server);
      urls[`fastify ${variant}`] = server.url;
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  /** What the benchmark's pre-load check sees (it uses fetch's Headers). */
  function asHeaders(res: { headers: Record<string, string | string[] | undefined> }): Headers {
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
    return headers;
  }

  it.each(['engine ward', 'express ward', 'express peers', 'fastify ward', 'fastify peers'])(
    '%s: the payload, a request id, nosniff and CORS for the allowed origin (the bench check passes)',
    async (name) => {
      const res = await request(`${urls[name]}/`, { headers: EDGE_REQUEST_HEADERS });
      expect(checkEdge(res.status, res.text, asHeaders(res))).toBeUndefined();
      expect(res.text).toBe(PAYLOAD_JSON);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    },
  );

  it.each(['engine bare', 'express bare', 'fastify bare'])('%s: the payload and no middleware (the bench check passes)', async (name) => {
    const res = await request(`${urls[name]}/`, { headers: EDGE_REQUEST_HEADERS });
    expect(checkBare(res.status, res.text, asHeaders(res))).toBeUndefined();
  });

  it.each(['express', 'fastify'])('%s: ward and peers refuse another origin alike, and echo a safe incoming id alike', async (framework) => {
    const headers = { origin: 'https://evil.example', 'x-request-id': 'abc-123' };
    const [ward, peers] = await Promise.all([
      request(`${urls[`${framework} ward`]}/`, { headers }),
      request(`${urls[`${framework} peers`]}/`, { headers }),
    ]);
    for (const res of [ward, peers]) {
      expect(res.status).toBe(200);
      expect(res.text).toBe(PAYLOAD_JSON);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['x-request-id']).toBe('abc-123');
    }
  });

  it('the ward chain writes one access-log line per request', async () => {
    const before = logLines.length;
    const res = await request(`${urls['fastify ward']}/`, { headers: EDGE_REQUEST_HEADERS });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const lines = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ log: 'access', method: 'GET', path: '/', status: 200, request_id: res.headers['x-request-id'] });
    expect(String(res.headers['x-request-id'])).toMatch(UUID);
  });
});
