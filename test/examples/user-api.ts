/**
 * The HTTP contract of the example user API, written once and run against
 * every example app (engine, Express, Fastify) over real sockets: the three
 * must answer the same statuses, headers, problem codes and bodies.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { Registry } from 'prom-client';
import { request, type TestResponse } from '@ward/core/testing';
import { createUserStore } from '../../examples/server/users/store.js';

type UserStore = ReturnType<typeof createUserStore>;

/** What a test gives an app. */
export interface AppDeps {
  store: UserStore;
  registry: Registry;
  /** Receives server faults (5xx). */
  onError: (error: unknown) => void;
}

export interface StartedApp {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export interface ExampleTarget {
  name: string;
  start(deps: AppDeps): Promise<StartedApp>;
  /**
   * How the framework answers a path parameter of 2 000 characters: the
   * engine and Express look the id up (404 `USER_NOT_FOUND`); Fastify's
   * router refuses params over 100 characters (414 `URI_TOO_LONG`).
   */
  longId: { status: number; code: string };
}

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** A store with a fake clock and ids `u1`, `u2`, … so answers can be asserted exactly. */
export function testStore(options: { maxUsers?: number } = {}): { store: UserStore; clock: { now: number } } {
  const clock = { now: T0 };
  let next = 0;
  const store = createUserStore({ ...options, now: () => clock.now, newId: () => `u${++next}` });
  return { store, clock };
}

export const ADA = { name: 'Ada Lovelace', email: 'ada@example.com', age: 36, role: 'admin' } as const;
export const GRACE = { name: 'Grace Hopper', email: 'grace@example.com', age: 85, role: 'user' } as const;
export const ALAN = { name: 'Alan Turing', email: 'alan@example.com', age: 41, role: 'guest' } as const;

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json';

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  errors?: { path: (string | number)[]; message: string }[];
}

export function sendJson(url: string, method: string, value: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
  return request(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof value === 'string' ? value : JSON.stringify(value),
  });
}

/** Asserts a problem+json answer and returns its body. */
export function expectProblem(res: TestResponse, status: number, code: string): Problem {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM_TYPE);
  expect(res.headers['cache-control']).toBe('no-store');
  const problem = res.json<Problem>();
  expect(problem.status).toBe(status);
  expect(problem.code).toBe(code);
  expect(problem.type).toBe(`urn:ward:problem:${code.toLowerCase().replace(/_/g, '-')}`);
  return problem;
}

/** The paths of a VALIDATION_FAILED problem's issues. */
export function issuePaths(problem: Problem): (string | number)[][] {
  return (problem.errors ?? []).map((e) => e.path);
}

function stored(id: string, input: typeof ADA | typeof GRACE | typeof ALAN, createdAt = T0, updatedAt = createdAt): Record<string, unknown> {
  return { id, ...input, createdAt: new Date(createdAt).toISOString(), updatedAt: new Date(updatedAt).toISOString() };
}

export function userApiScenarios(target: ExampleTarget): void {
  describe(`${target.name}: user API`, () => {
    let app: StartedApp;
    let store: UserStore;
    let clock: { now: number };
    let registry: Registry;
    let errors: unknown[];

    beforeEach(async () => {
      ({ store, clock } = testStore());
      registry = new Registry();
      errors = [];
      app = await target.start({ store, registry, onError: (e) => errors.push(e) });
    });
    afterEach(async () => {
      await app.close();
    });

    const users = (): string => `${app.url}/api/v1/users`;

    it('GET /health answers 200 {"status":"ok"} with a Server-Timing header from the shared chain', async () => {
      const res = await request(`${app.url}/health`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSON_TYPE);
      expect(res.text).toBe('{"status":"ok"}');
      expect(res.headers['server-timing']).toMatch(/^app;dur=\d+\.\d$/);
    });

    it('POST creates: 201, Location, the stored user', async () => {
      const res = await sendJson(users(), 'POST', ADA);
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toBe(JSON_TYPE);
      expect(res.headers['location']).toBe('/api/v1/users/u1');
      expect(res.json()).toEqual(stored('u1', ADA));
      expect(await store.count()).toBe(1);

      const again = await request(`${app.url}${res.headers['location']}`);
      expect(again.status).toBe(200);
      expect(again.json()).toEqual(stored('u1', ADA));
    });

    it('POST trims the name and keeps nothing but the four fields', async () => {
      const res = await sendJson(users(), 'POST', { ...ADA, name: '  Ada  ' });
      expect(res.status).toBe(201);
      expect(res.json()).toEqual({ ...stored('u1', ADA), name: 'Ada' });
    });

    it('POST with every field invalid: 400 VALIDATION_FAILED listing each field', async () => {
      const res = await sendJson(users(), 'POST', { name: 'Al', email: 'not-an-email', age: 17.5, role: 'root' });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.detail).toBe('The request body is not valid');
      expect(issuePaths(problem)).toEqual([['name'], ['email'], ['age'], ['role']]);
      for (const issue of problem.errors ?? []) expect(typeof issue.message).toBe('string');
      expect(await store.count()).toBe(0);
    });

    it.each([
      ['name too long', { ...ADA, name: 'x'.repeat(51) }, [['name']]],
      ['age below 18', { ...ADA, age: 17 }, [['age']]],
      ['age above 120', { ...ADA, age: 121 }, [['age']]],
      ['age as a string', { ...ADA, age: '36' }, [['age']]],
      ['missing email', { name: ADA.name, age: ADA.age, role: ADA.role }, [['email']]],
      ['an array instead of an object', [ADA], [[]]],
      ['null', null, [[]]],
    ])('POST with %s: 400 VALIDATION_FAILED at the right path', async (_label, body, paths) => {
      const res = await sendJson(users(), 'POST', body);
      expect(issuePaths(expectProblem(res, 400, 'VALIDATION_FAILED'))).toEqual(paths);
    });

    it('POST without a body: 400 VALIDATION_FAILED at the root', async () => {
      const res = await request(users(), { method: 'POST' });
      expect(issuePaths(expectProblem(res, 400, 'VALIDATION_FAILED'))).toEqual([[]]);
    });

    it('POST with broken JSON: 400 INVALID_JSON', async () => {
      const res = await sendJson(users(), 'POST', '{"name": "Ada",');
      expectProblem(res, 400, 'INVALID_JSON');
      expect(await store.count()).toBe(0);
    });

    it('POST with an e-mail already taken (in any case): 409 EMAIL_TAKEN', async () => {
      expect((await sendJson(users(), 'POST', ADA)).status).toBe(201);
      const res = await sendJson(users(), 'POST', { ...GRACE, email: 'ADA@Example.COM' });
      const problem = expectProblem(res, 409, 'EMAIL_TAKEN');
      expect(problem.detail).toBe('Another user already has this email address');
      expect(await store.count()).toBe(1);
    });

    it('GET an unknown id: 404 USER_NOT_FOUND', async () => {
      const problem = expectProblem(await request(`${users()}/u404`), 404, 'USER_NOT_FOUND');
      expect(problem.detail).toBe('No user has this id');
    });

    it('PUT replaces the user: 200, new fields, createdAt kept, updatedAt moved', async () => {
      await sendJson(users(), 'POST', ADA);
      clock.now = T0 + 60_000;
      const res = await sendJson(`${users()}/u1`, 'PUT', { ...GRACE, email: 'ada@example.com' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSON_TYPE);
      const expected = stored('u1', { ...GRACE, email: 'ada@example.com' } as unknown as typeof GRACE, T0, T0 + 60_000);
      expect(res.json()).toEqual(expected);
      expect((await request(`${users()}/u1`)).json()).toEqual(expected);
    });

    it('PUT: 404 on an unknown id, 400 on invalid input, 409 on another user\'s e-mail', async () => {
      await sendJson(users(), 'POST', ADA);
      await sendJson(users(), 'POST', GRACE);
      expectProblem(await sendJson(`${users()}/u9`, 'PUT', ALAN), 404, 'USER_NOT_FOUND');
      expect(issuePaths(expectProblem(await sendJson(`${users()}/u1`, 'PUT', { ...ADA, role: 'owner' }), 400, 'VALIDATION_FAILED'))).toEqual([['role']]);
      expectProblem(await sendJson(`${users()}/u1`, 'PUT', { ...ADA, email: 'Grace@example.com' }), 409, 'EMAIL_TAKEN');
      // Its own address, in another case, is not a conflict.
      expect((await sendJson(`${users()}/u1`, 'PUT', { ...ADA, email: 'ADA@example.com' })).status).toBe(200);
    });

    it('DELETE: 204 without a body, then 404 for GET and for a second DELETE', async () => {
      await sendJson(users(), 'POST', ADA);
      const res = await request(`${users()}/u1`, { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers['content-length']).toBeUndefined();
      expectProblem(await request(`${users()}/u1`), 404, 'USER_NOT_FOUND');
      expectProblem(await request(`${users()}/u1`, { method: 'DELETE' }), 404, 'USER_NOT_FOUND');
      // The e-mail is free again.
      expect((await sendJson(users(), 'POST', ADA)).status).toBe(201);
    });

    it('lists with pagination: defaults, pages, a page past the end', async () => {
      for (const user of [ADA, GRACE, ALAN]) await sendJson(users(), 'POST', user);

      const all = await request(users());
      expect(all.status).toBe(200);
      expect(all.headers['content-type']).toBe(JSON_TYPE);
      expect(all.json()).toEqual({
        items: [stored('u1', ADA), stored('u2', GRACE), stored('u3', ALAN)],
        pagination: { page: 1, limit: 20, total: 3, totalPages: 1 },
      });

      expect((await request(`${users()}?page=1&limit=2`)).json()).toEqual({
        items: [stored('u1', ADA), stored('u2', GRACE)],
        pagination: { page: 1, limit: 2, total: 3, totalPages: 2 },
      });
      expect((await request(`${users()}?page=2&limit=2`)).json()).toEqual({
        items: [stored('u3', ALAN)],
        pagination: { page: 2, limit: 2, total: 3, totalPages: 2 },
      });
      expect((await request(`${users()}?page=3&limit=2`)).json()).toEqual({
        items: [],
        pagination: { page: 3, limit: 2, total: 3, totalPages: 2 },
      });
      expect((await request(`${users()}?limit=100&unrelated=1`)).json()).toMatchObject({
        pagination: { page: 1, limit: 100, total: 3, totalPages: 1 },
      });
    });

    it.each([
      ['page=0', [['page']]],
      ['page=-1', [['page']]],
      ['page=abc', [['page']]],
      ['page=1.5', [['page']]],
      ['page=1e3', [['page']]],
      ['page=', [['page']]],
      ['limit=0', [['limit']]],
      ['limit=101', [['limit']]],
      ['limit=9999999', [['limit']]],
      ['page=0&limit=0', [['page'], ['limit']]],
      ['page=1&page=2', [['page']]],
    ])('list with ?%s: 400 VALIDATION_FAILED', async (query, paths) => {
      const problem = expectProblem(await request(`${users()}?${query}`), 400, 'VALIDATION_FAILED');
      expect(problem.detail).toBe('The request query is not valid');
      expect(issuePaths(problem)).toEqual(paths);
    });

    it('an unknown route: 404 NOT_FOUND problem', async () => {
      const problem = expectProblem(await request(`${app.url}/api/v2/users?x=1`), 404, 'NOT_FOUND');
      expect(problem.detail).toBe('No route for GET /api/v2/users');
    });

    it('/metrics exposes the request series by route template, never the raw path', async () => {
      await sendJson(users(), 'POST', ADA);
      await request(`${users()}/u1`);
      await request(`${users()}/u1`);
      await request(`${users()}/nobody`);
      await request(`${users()}?page=0`);

      const res = await request(`${app.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(registry.contentType);
      const lines = res.text.split('\n');
      const count = (labels: string): string | undefined =>
        lines.find((l) => l.startsWith(`ward_http_request_duration_seconds_count{${labels}}`));
      expect(count('method="POST",route="/api/v1/users",status_class="2xx"')).toMatch(/ 1$/);
      expect(count('method="GET",route="/api/v1/users/:id",status_class="2xx"')).toMatch(/ 2$/);
      expect(count('method="GET",route="/api/v1/users/:id",status_class="4xx"')).toMatch(/ 1$/);
      expect(count('method="GET",route="/api/v1/users",status_class="4xx"')).toMatch(/ 1$/);
      expect(res.text).not.toContain('/api/v1/users/u1');
      expect(res.text).not.toContain('nobody');
      expect(lines).toContain('# TYPE ward_http_requests_in_flight gauge');
    });

    it('a full store: 507 USER_STORE_FULL, reported as a server fault', async () => {
      await app.close();
      ({ store } = testStore({ maxUsers: 2 }));
      app = await target.start({ store, registry: new Registry(), onError: (e) => errors.push(e) });
      expect((await sendJson(users(), 'POST', ADA)).status).toBe(201);
      expect((await sendJson(users(), 'POST', GRACE)).status).toBe(201);
      const problem = expectProblem(await sendJson(users(), 'POST', ALAN), 507, 'USER_STORE_FULL');
      expect(problem.detail).toBe('The user store holds its maximum of 2 users; delete some first');
      expect(errors).toHaveLength(1);
      expect((errors[0] as { code?: string }).code).toBe('USER_STORE_FULL');
      // Replacing a user still works when full.
      expect((await sendJson(`${users()}/u1`, 'PUT', ADA)).status).toBe(200);
    });

    describe('security: hostile input', () => {
      // None of these may be a server fault.
      afterEach(() => {
        expect(errors).toEqual([]);
      });

      it('mass assignment: id, timestamps and unknown fields in the body are ignored', async () => {
        const res = await sendJson(users(), 'POST', { ...ADA, id: 'chosen', createdAt: '1970-01-01T00:00:00.000Z', isAdmin: true });
        expect(res.status).toBe(201);
        expect(res.json()).toEqual(stored('u1', ADA));
        expectProblem(await request(`${users()}/chosen`), 404, 'USER_NOT_FOUND');
      });

      it('prototype poisoning in the body never reaches Object.prototype', async () => {
        const res = await sendJson(users(), 'POST', `{"name":"Ada Lovelace","email":"ada@example.com","age":36,"role":"admin","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`);
        expect([201, 400]).toContain(res.status);
        expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
        if (res.status === 201) expect(Object.keys(res.json() as object).sort()).toEqual(['age', 'createdAt', 'email', 'id', 'name', 'role', 'updatedAt']);
        else expectProblem(res, 400, 'INVALID_JSON');
      });

      it.each(['__proto__', 'constructor', 'hasOwnProperty', 'a%2fb', '..%2f..%2fetc%2fpasswd', '%00', 'u1%20OR%201%3D1'])(
        'id %s: 404 USER_NOT_FOUND, nothing else',
        async (id) => {
          await sendJson(users(), 'POST', ADA);
          expectProblem(await request(`${users()}/${id}`), 404, 'USER_NOT_FOUND');
          expectProblem(await request(`${users()}/${id}`, { method: 'DELETE' }), 404, 'USER_NOT_FOUND');
          expect(await store.count()).toBe(1);
        },
      );

      it(`a 2 000-character id: ${target.longId.status} ${target.longId.code}, no 5xx`, async () => {
        expectProblem(await request(`${users()}/${'a'.repeat(2000)}`), target.longId.status, target.longId.code);
      });

      it('a malformed percent-escape in the id: 400 BAD_REQUEST, no 5xx', async () => {
        expectProblem(await request(`${users()}/%E0%A4%A`), 400, 'BAD_REQUEST');
      });

      it('a JSON body sent as text/plain (a CSRF-style simple request) is not parsed as JSON', async () => {
        const res = await request(users(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(ADA) });
        expect(issuePaths(expectProblem(res, 400, 'VALIDATION_FAILED'))).toEqual([[]]);
        expect(await store.count()).toBe(0);
      });

      it('a body over 100 KiB: 413 PAYLOAD_TOO_LARGE, nothing stored', async () => {
        const res = await sendJson(users(), 'POST', { ...ADA, name: 'x'.repeat(200 * 1024) });
        expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
        expect(await store.count()).toBe(0);
      });

      it('many distinct unknown paths do not grow the metric series', async () => {
        for (let i = 0; i < 20; i++) await request(`${app.url}/probe-${i}-${'z'.repeat(i)}`);
        const text = (await request(`${app.url}/metrics`)).text;
        expect(text).not.toContain('probe-');
        expect(text).toContain('route="#unmatched",status_class="4xx"} 20');
      });
    });
  });
}
