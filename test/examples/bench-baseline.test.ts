/**
 * The benchmark compares the engine with a hand-routed node:http server
 * (bench/servers/hand-router.js). The comparison is only fair if both do
 * the same work: this checks they give the same answers to the requests the
 * benchmark sends, from the same store.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Engine } from '@ward/engine';
import { listen, request, type TestServer } from '@ward/core/testing';
import { handRouter } from '../../bench/servers/hand-router.js';
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
