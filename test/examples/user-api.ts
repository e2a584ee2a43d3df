/**
 * The HTTP contract of the example user API, written once and run against
 * every example app (engine, Express, Fastify) over real sockets: the three
 * must answer the same statuses, headers, problem codes and bodies.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { Registry } from 'prom-client';
import { type TestRequestOptions, request as rawRequest, type TestResponse } from '@ward/core/testing';
import { createExampleAuth } from '../../examples/server/auth/service.js';
import type { AccessLogRecord, AuditLogRecord, StructuredLogger } from '@ward/logger';
import type { RecoveryReport } from '@ward/recovery';
import { createUserStore } from '../../examples/server/users/store.js';

type UserStore = ReturnType<typeof createUserStore>;

/** What a test gives an app. */
export interface AppDeps {
  store: UserStore;
  registry: Registry;
  /** Receives recovery's reports of server faults (5xx). */
  onError: (report: RecoveryReport) => void;
  /** Where the chain's access and audit records go. */
  logger: StructuredLogger;
  /** Origins CORS allows. */
  corsOrigins: string[];
  /** The request budget; unset: the chain's default (10 s). */
  timeoutMs?: number;
  /** The general `/api/` rate limit; unset: the chain's default (1 000 a minute). */
  apiLimit?: { name: string; limit: number; windowMs: number; burst?: number };
  /** The coarse per-address `/api/` limit, before tokens are verified; unset: the chain's default (3 000 a minute). */
  addressLimit?: { name: string; limit: number; windowMs: number; burst?: number };
  /** The `/api/auth/` rate limit; unset: the chain's default (10 a minute, 5 at once). */
  authLimit?: { name: string; limit: number; windowMs: number; burst?: number };
  /** Accounts and tokens; {@link withAuth} makes one on `store` with {@link TEST_JWT_SECRET}. */
  auth?: ReturnType<typeof createExampleAuth>;
  /** The rates service `GET /api/v1/external` calls; unset: no such route. */
  upstreamUrl?: string;
}

/** The signing secret of the example apps under test. */
export const TEST_JWT_SECRET = 'tests-only-example-secret-0123456789abcdef';

/** The admin access token {@link request} sends to `/api/v1` when a test gives none. */
let bearer: string | undefined;

/**
 * The deps with an account service on their store, and a fresh admin
 * token that {@link request} sends to `/api/v1/…` by default (the user API
 * requires a signed-in user since the auth issue; its own tests are about
 * users, not tokens — test/examples/auth-api.ts is about those).
 */
export async function withAuth<D extends AppDeps>(deps: D): Promise<D & { auth: ReturnType<typeof createExampleAuth> }> {
  const auth = deps.auth ?? createExampleAuth({ users: deps.store, secret: TEST_JWT_SECRET, allowedOrigins: deps.corsOrigins, onEvent: () => {} });
  bearer = (await auth.tokens.issue('test-admin', { roles: ['admin'] })).accessToken;
  return { ...deps, auth };
}

/**
 * Mints the admin token {@link request} sends from now on, signed with
 * {@link TEST_JWT_SECRET}: valid for any example app given that secret
 * (a main.js started with `JWT_SECRET`, too).
 */
export async function useAdminToken(): Promise<string> {
  const auth = createExampleAuth({ users: testStore().store, secret: TEST_JWT_SECRET, onEvent: () => {} });
  bearer = (await auth.tokens.issue('test-admin', { roles: ['admin'] })).accessToken;
  return bearer;
}

/** `@ward/core/testing`'s request, with the admin bearer token on `/api/v1/…` unless the test set `authorization` itself. */
export function request(url: string, options: TestRequestOptions = {}): Promise<TestResponse> {
  const headers = options.headers;
  const given = Array.isArray(headers) ? undefined : (headers as Record<string, unknown> | undefined)?.['authorization'];
  if (given === '') {
    // `authorization: ''`: the test wants no credentials at all.
    const { authorization: _none, ...rest } = headers as Record<string, string>;
    return rawRequest(url, { ...options, headers: rest });
  }
  if (bearer !== undefined && url.includes('/api/v1') && !Array.isArray(headers) && given === undefined) {
    return rawRequest(url, { ...options, headers: { ...(headers as Record<string, string> | undefined), authorization: `Bearer ${bearer}` } });
  }
  return rawRequest(url, options);
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

/** The origin the tests allow (passed as `corsOrigins`); any other is refused. */
export const ALLOWED_ORIGIN = 'https://app.example.com';
export const OTHER_ORIGIN = 'https://evil.example';

/** What @ward/request-id accepts from a client, and so what every answer's id must look like. */
export const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type LogRecord = AccessLogRecord | AuditLogRecord;

/** A pino-compatible logger that keeps every record (with its level) in memory. */
export function collectingLogger(): { logger: StructuredLogger; records: (LogRecord & { level: string })[]; access(): AccessLogRecord[]; audit(): AuditLogRecord[] } {
  const records: (LogRecord & { level: string })[] = [];
  const keep = (level: string) => (record: object) => {
    records.push({ ...(record as LogRecord), level });
  };
  return {
    logger: { info: keep('info'), warn: keep('warn'), error: keep('error') },
    records,
    access: () => records.filter((r): r is AccessLogRecord & { level: string } => r.log === 'access'),
    audit: () => records.filter((r): r is AuditLogRecord & { level: string } => r.log === 'audit'),
  };
}

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
  request_id?: string;
  errors?: { path: (string | number)[]; message: string }[];
}

export function sendJson(url: string, method: string, value: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
  return request(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof value === 'string' ? value : JSON.stringify(value),
  });
}

/**
 * Asserts a problem+json answer and returns its body. Every problem carries
 * the request id, the same as the answer's X-Request-ID, and the API set of
 * security headers.
 */
export function expectProblem(res: TestResponse, status: number, code: string): Problem {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM_TYPE);
  expect(res.headers['cache-control']).toBe('no-store');
  const problem = res.json<Problem>();
  expect(problem.status).toBe(status);
  expect(problem.code).toBe(code);
  expect(problem.type).toBe(`urn:ward:problem:${code.toLowerCase().replace(/_/g, '-')}`);
  expect(res.headers['x-request-id']).toMatch(SAFE_ID);
  expect(problem.request_id).toBe(res.headers['x-request-id']);
  expectApiSecurityHeaders(res);
  return problem;
}

/** The lean set @ward/security-headers puts on API answers (JSON, problem+json), and no X-Powered-By. */
export function expectApiSecurityHeaders(res: TestResponse): void {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(res.headers['x-powered-by']).toBeUndefined();
  // Plain HTTP: no HSTS (RFC 6797 §7.2); and no CSP bytes on an API answer.
  expect(res.headers['strict-transport-security']).toBeUndefined();
  expect(res.headers['content-security-policy']).toBeUndefined();
}

/** A copy of `store` whose `get` is replaced (a slow or failing database, injected through the app's options). */
export function withGet(store: UserStore, get: UserStore['get']): UserStore {
  return { ...store, get };
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
    let reports: RecoveryReport[];

    beforeEach(async () => {
      ({ store, clock } = testStore());
      registry = new Registry();
      reports = [];
      app = await target.start(await withAuth({ store, registry, onError: (r) => reports.push(r), logger: collectingLogger().logger, corsOrigins: [ALLOWED_ORIGIN] }));
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

    it('GET /users goes through the users cache: per user (another user never gets the entry), private max-age=10, invalidated by every write', async () => {
      await sendJson(users(), 'POST', ADA);
      const first = await request(users());
      expect([first.status, first.headers['x-cache'], first.headers['cache-control'], first.headers['cache-tag']]).toEqual([200, 'MISS', 'private, max-age=10', undefined]);
      const second = await request(users());
      expect([second.headers['x-cache'], second.text]).toEqual(['HIT', first.text]);
      // A strong ETag, the body's hash, on every stack (Express's own weak one is turned off).
      expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect(second.headers.etag).toBe(first.headers.etag);
      const other = createExampleAuth({ users: testStore().store, secret: TEST_JWT_SECRET, onEvent: () => {} });
      const token = (await other.tokens.issue('someone-else', { roles: [] })).accessToken;
      expect((await request(users(), { headers: { authorization: `Bearer ${token}` } })).headers['x-cache']).toBe('MISS');
      await sendJson(users(), 'POST', GRACE);
      const after = await request(users());
      expect(after.headers['x-cache']).toBe('MISS');
      expect((after.json() as { items: unknown[] }).items).toHaveLength(2);
      // A write that does not come through the users routes (the account service's register or
      // profile update writes the store directly) forgets the cached pages too.
      expect((await request(users())).headers['x-cache']).toBe('HIT');
      await store.create({ name: 'Registered', email: 'registered@example.com', age: 40, role: 'user' });
      const registered = await request(users());
      expect([registered.headers['x-cache'], (registered.json() as { items: unknown[] }).items.length]).toEqual(['MISS', 3]);
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
      app = await target.start(await withAuth({ store, registry: new Registry(), onError: (r) => reports.push(r), logger: collectingLogger().logger, corsOrigins: [ALLOWED_ORIGIN] }));
      expect((await sendJson(users(), 'POST', ADA)).status).toBe(201);
      expect((await sendJson(users(), 'POST', GRACE)).status).toBe(201);
      const problem = expectProblem(await sendJson(users(), 'POST', ALAN), 507, 'USER_STORE_FULL');
      expect(problem.detail).toBe('The user store holds its maximum of 2 users; delete some first');
      // One report from recovery, for the request that failed.
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ kind: 'http_error', status: 507, code: 'USER_STORE_FULL', method: 'POST', route: '/api/v1/users', requestId: problem.request_id });
      expect((reports[0]!.error as { code?: string }).code).toBe('USER_STORE_FULL');
      // Replacing a user still works when full.
      expect((await sendJson(`${users()}/u1`, 'PUT', ADA)).status).toBe(200);
    });

    describe('security: hostile input', () => {
      // None of these may be a server fault.
      afterEach(() => {
        expect(reports).toEqual([]);
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

      it('a body of a type no parser takes (XML, none at all): 415 UNSUPPORTED_MEDIA_TYPE on every stack, nothing stored', async () => {
        for (const headers of [{ 'content-type': 'application/xml' }, {}]) {
          const res = await request(users(), { method: 'POST', headers, body: '<user/>' });
          expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
        }
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

  describe(`${target.name}: the ward chain (request id, access log, recovery, timeout, security headers, CORS)`, () => {
    let app: StartedApp | undefined;
    let store: UserStore;
    let reports: RecoveryReport[];
    let log: ReturnType<typeof collectingLogger>;

    async function start(options: { store?: UserStore; timeoutMs?: number; apiLimit?: AppDeps['apiLimit']; addressLimit?: AppDeps['addressLimit'] } = {}): Promise<StartedApp> {
      log = collectingLogger();
      reports = [];
      app = await target.start(
        await withAuth({
          store: options.store ?? store,
          registry: new Registry(),
          onError: (r) => reports.push(r),
          logger: log.logger,
          corsOrigins: [ALLOWED_ORIGIN],
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.apiLimit === undefined ? {} : { apiLimit: options.apiLimit }),
          ...(options.addressLimit === undefined ? {} : { addressLimit: options.addressLimit }),
        }),
      );
      return app;
    }

    beforeEach(() => {
      ({ store } = testStore());
    });
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it('every answer carries a safe X-Request-ID, a fresh one per request', async () => {
      const { url } = await start();
      const answers = [
        await request(`${url}/health`),
        await request(`${url}/api/v1/users`),
        await sendJson(`${url}/api/v1/users`, 'POST', ADA),
        await request(`${url}/api/v1/users/u404`),
        await request(`${url}/nowhere`),
        await request(`${url}/api/v1/users/%E0%A4%A`),
        await request(`${url}/api/v1/users/u1`, { method: 'DELETE' }),
        await request(`${url}/metrics`),
      ];
      const ids = answers.map((res) => res.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(SAFE_ID);
      expect(new Set(ids).size).toBe(answers.length);
    });

    it('a safe incoming X-Request-ID is echoed, in the header, the problem body and the logs', async () => {
      const { url } = await start();
      const id = 'client-7f3c.9a1e:2b4d_0';
      const ok = await request(`${url}/health`, { headers: { 'x-request-id': id } });
      expect(ok.headers['x-request-id']).toBe(id);
      const problem = expectProblem(await request(`${url}/api/v1/users/u404`, { headers: { 'x-request-id': id } }), 404, 'USER_NOT_FOUND');
      expect(problem.request_id).toBe(id);
      expect(log.access().map((r) => r.request_id)).toEqual([id, id]);
    });

    it.each([
      ['a space', 'a b'],
      ['200 characters', 'x'.repeat(200)],
      ['markup', '<script>alert(1)</script>'],
      ['two ids joined', 'a, b'],
      ['a quote', 'a"b'],
    ])('an unsafe incoming X-Request-ID (%s) is replaced by a fresh one, never echoed', async (_label, unsafe) => {
      const { url } = await start();
      const res = await request(`${url}/api/v1/users/u404`, { headers: { 'x-request-id': unsafe } });
      const fresh = res.headers['x-request-id'];
      expect(fresh).toMatch(SAFE_ID);
      expect(fresh).not.toBe(unsafe);
      expect(res.text).not.toContain(unsafe);
      expect(expectProblem(res, 404, 'USER_NOT_FOUND').request_id).toBe(fresh);
      expect(log.access()[0]!.request_id).toBe(fresh);
      expect(JSON.stringify(log.records)).not.toContain(unsafe);
    });

    it('security headers on JSON answers, success and error alike; no X-Powered-By', async () => {
      const { url } = await start();
      const answers = [
        await request(`${url}/health`),
        await sendJson(`${url}/api/v1/users`, 'POST', ADA),
        await request(`${url}/api/v1/users/u1`),
        await request(`${url}/api/v1/users?page=1`),
      ];
      for (const res of answers) {
        expect(res.headers['content-type']).toBe(JSON_TYPE);
        expectApiSecurityHeaders(res);
      }
      // Errors: expectProblem checks the same headers.
      expectProblem(await request(`${url}/nowhere`), 404, 'NOT_FOUND');
      expectProblem(await sendJson(`${url}/api/v1/users`, 'POST', '{"broken'), 400, 'INVALID_JSON');
    });

    describe('CORS', () => {
      const preflight = (url: string, origin: string): Promise<TestResponse> =>
        request(url, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
        });
      const corsHeaders = (res: TestResponse): string[] => Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));

      it('a preflight from the allowed origin: 204 with the allow headers, and the route does not run', async () => {
        const { url } = await start();
        for (const path of ['/api/v1/users', '/api/v1/users/u1']) {
          const res = await preflight(`${url}${path}`, ALLOWED_ORIGIN);
          expect(res.status).toBe(204);
          expect(res.text).toBe('');
          expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
          expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, DELETE');
          expect(res.headers['access-control-allow-headers']).toContain('content-type');
          expect(res.headers['access-control-max-age']).toBe('600');
          // Credentials allowed: the refresh cookie of /api/auth/refresh comes from the app's origins.
          expect(res.headers['access-control-allow-credentials']).toBe('true');
          expect(res.headers['vary']).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
          expect(res.headers['x-request-id']).toMatch(SAFE_ID);
        }
        expect(await store.count()).toBe(0);
      });

      it('a preflight from another origin gets no CORS header at all', async () => {
        const { url } = await start();
        const res = await preflight(`${url}/api/v1/users/u1`, OTHER_ORIGIN);
        expect(res.status).toBe(204);
        expect(corsHeaders(res)).toEqual([]);
        expect(res.headers['vary']).toContain('Origin');
      });

      it('a GET from the allowed origin: Access-Control-Allow-Origin, Vary: Origin, the request id exposed', async () => {
        const { url } = await start();
        const res = await request(`${url}/api/v1/users`, { headers: { origin: ALLOWED_ORIGIN } });
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
        expect(res.headers['vary']).toBe('Origin');
        expect(res.headers['access-control-expose-headers']).toBe('location, x-request-id, ratelimit, ratelimit-policy, retry-after, www-authenticate');
        expect(res.headers['access-control-allow-credentials']).toBe('true');
      });

      it('errors and creations from the allowed origin are readable by the page too', async () => {
        const { url } = await start();
        const created = await sendJson(`${url}/api/v1/users`, 'POST', ADA, { origin: ALLOWED_ORIGIN });
        expect(created.status).toBe(201);
        expect(created.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
        const missing = await request(`${url}/api/v1/users/u404`, { headers: { origin: ALLOWED_ORIGIN } });
        expectProblem(missing, 404, 'USER_NOT_FOUND');
        expect(missing.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      });

      it('a GET from another origin is answered without CORS headers (the browser withholds it), Vary: Origin', async () => {
        const { url } = await start();
        const res = await request(`${url}/api/v1/users`, { headers: { origin: OTHER_ORIGIN } });
        expect(res.status).toBe(200);
        expect(corsHeaders(res)).toEqual([]);
        expect(res.headers['vary']).toBe('Origin');
      });

      it.each(['null', `${ALLOWED_ORIGIN}/`, ALLOWED_ORIGIN.toUpperCase(), `${ALLOWED_ORIGIN}, ${OTHER_ORIGIN}`, `${ALLOWED_ORIGIN}.evil.example`])(
        'a hostile Origin %j gets no CORS header and no 5xx',
        async (origin) => {
          const { url } = await start();
          const res = await request(`${url}/api/v1/users`, { headers: { origin } });
          expect(res.status).toBe(200);
          expect(corsHeaders(res)).toEqual([]);
          expect(reports).toEqual([]);
        },
      );
    });

    it('each request writes exactly one access-log line: request id, route template, status', async () => {
      const { url } = await start();
      const sent: { id: string; res: TestResponse }[] = [];
      const send = async (id: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<void> => {
        const headers = { 'x-request-id': id };
        const res = init.body === undefined ? await request(`${url}${path}`, { method: init.method ?? 'GET', headers }) : await sendJson(`${url}${path}`, init.method ?? 'POST', init.body, headers);
        sent.push({ id, res });
      };
      await send('r1', '/api/v1/users', { body: ADA });
      await send('r2', '/api/v1/users/u1');
      await send('r3', '/api/v1/users/nobody-here');
      await send('r4', '/api/v1/users?page=0&token=s3cret');
      await send('r5', '/nowhere');
      await send('r6', '/api/v1/users/u1', { method: 'PUT', body: GRACE });
      await send('r7', '/api/v1/users/u1', { method: 'DELETE' });
      await send('r8', '/health');

      const access = log.access();
      expect(access.map((r) => r.request_id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
      expect(access.map((r) => [r.method, r.route, r.status])).toEqual([
        ['POST', '/api/v1/users', 201],
        ['GET', '/api/v1/users/:id', 200],
        ['GET', '/api/v1/users/:id', 404],
        ['GET', '/api/v1/users', 400],
        ['GET', null, 404],
        ['PUT', '/api/v1/users/:id', 200],
        ['DELETE', '/api/v1/users/:id', 204],
        ['GET', '/health', 200],
      ]);
      for (const [i, record] of access.entries()) {
        expect(record.status).toBe(sent[i]!.res.status);
        expect(record.trace_id).toMatch(/^[0-9a-f]{32}$/);
        expect(record.duration_ms).toBeGreaterThanOrEqual(0);
      }
      // The raw id is only in `path` (by design); routes are templates; the query is not logged.
      expect(access[2]!.path).toBe('/api/v1/users/nobody-here');
      expect(access.map((r) => r.route).join()).not.toContain('nobody');
      expect(JSON.stringify(access)).not.toContain('s3cret');
      // Levels by status: 4xx warn, else info.
      expect(log.records.filter((r) => r.log === 'access').map((r) => r.level)).toEqual(['info', 'info', 'warn', 'warn', 'warn', 'info', 'info', 'info']);
    });

    it('state changes (POST, PUT, DELETE) are audited once each, with the user who made them; reads are not', async () => {
      const { url } = await start();
      await sendJson(`${url}/api/v1/users`, 'POST', ADA, { 'x-request-id': 'a1' });
      await request(`${url}/api/v1/users/u1`, { headers: { 'x-request-id': 'a2' } });
      await sendJson(`${url}/api/v1/users/u1`, 'PUT', { ...ADA, age: 37 }, { 'x-request-id': 'a3' });
      await request(`${url}/api/v1/users/u1`, { method: 'DELETE', headers: { 'x-request-id': 'a4' } });
      await request(`${url}/api/v1/users/u1`, { method: 'DELETE', headers: { 'x-request-id': 'a5' } });
      expect(log.audit().map((r) => [r.request_id, r.method, r.route, r.status, r.outcome, r.user_id])).toEqual([
        ['a1', 'POST', '/api/v1/users', 201, 'success', 'test-admin'],
        ['a3', 'PUT', '/api/v1/users/:id', 200, 'success', 'test-admin'],
        ['a4', 'DELETE', '/api/v1/users/:id', 204, 'success', 'test-admin'],
        ['a5', 'DELETE', '/api/v1/users/:id', 404, 'failure', 'test-admin'],
      ]);
      // The user acted on, from the route parameters; never the body.
      expect(log.audit()[1]!.params).toEqual({ id: 'u1' });
      expect(JSON.stringify(log.audit())).not.toContain('ada@example.com');
    });

    it('recovery: a handler that throws is a 500 INTERNAL_ERROR problem with the request id, reported to onError, message never sent', async () => {
      const failing = withGet(store, async () => {
        throw new Error('database unreachable at postgres://app:hunter2@db.internal');
      });
      const { url } = await start({ store: failing });
      const res = await request(`${url}/api/v1/users/u1`, { headers: { 'x-request-id': 'boom-1', origin: ALLOWED_ORIGIN } });
      const problem = expectProblem(res, 500, 'INTERNAL_ERROR');
      expect(problem.request_id).toBe('boom-1');
      expect(problem.detail).toBeUndefined();
      expect(res.text).not.toContain('hunter2');
      expect(JSON.stringify(reports)).not.toContain(bearer!.split('.')[2]);
      expect(res.text).not.toContain('database');
      // The browser can read the failure (CORS headers were set before the handler ran).
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);

      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({
        kind: 'error',
        status: 500,
        code: 'INTERNAL_ERROR',
        message: 'database unreachable at postgres://app:hunter2@db.internal',
        requestId: 'boom-1',
        method: 'GET',
        route: '/api/v1/users/:id',
        path: '/api/v1/users/u1',
        committed: false,
      });
      expect(reports[0]!.headers['authorization']).toBe('[redacted]');
      expect(log.access().map((r) => [r.request_id, r.route, r.status])).toEqual([['boom-1', '/api/v1/users/:id', 500]]);
      expect(log.records.find((r) => r.log === 'access')!.level).toBe('error');
    });

    it('recovery: a thrown non-Error (a string) is a 500 too, reported as non_error', async () => {
      const { url } = await start({ store: withGet(store, () => Promise.reject('boom')) });
      expectProblem(await request(`${url}/api/v1/users/u1`), 500, 'INTERNAL_ERROR');
      expect(reports.map((r) => [r.kind, r.status])).toEqual([['non_error', 500]]);
      // The server goes on.
      expect((await request(`${url}/health`)).status).toBe(200);
    });

    it('timeout: a handler slower than timeoutMs gets a 503 TIMEOUT problem with the request id; its late answer is dropped', async () => {
      let finished = false;
      const slow = withGet(store, async (id) => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        finished = true;
        return store.get(id);
      });
      await store.create(ADA);
      const { url } = await start({ store: slow, timeoutMs: 100 });
      const res = await request(`${url}/api/v1/users/u1`, { headers: { 'x-request-id': 'slow-1', origin: ALLOWED_ORIGIN } });
      // Answered at the deadline, while the handler is still waiting on the store.
      expect(finished).toBe(false);
      const problem = expectProblem(res, 503, 'TIMEOUT');
      expect(problem.request_id).toBe('slow-1');
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(log.access().map((r) => [r.request_id, r.route, r.status])).toEqual([['slow-1', '/api/v1/users/:id', 503]]);

      // The handler finishes later: its 200 goes nowhere, nothing crashes, nothing is reported.
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect(finished).toBe(true);
      expect(reports).toEqual([]);
      expect(log.access()).toHaveLength(1);
      expect((await request(`${url}/health`)).status).toBe(200);
    });

    it('rate limit: /api/ answers carry RateLimit fields; past the limit a 429 RATE_LIMITED problem with Retry-After, the request id and CORS; /health is not limited', async () => {
      const { url } = await start({ apiLimit: { name: 'api', limit: 2, windowMs: 60_000 } });
      const first = await request(`${url}/api/v1/users`, { headers: { origin: ALLOWED_ORIGIN } });
      expect(first.status).toBe(200);
      // The coarse per-address limit (before tokens are verified) first, then the user's.
      expect(first.headers['ratelimit-policy']).toBe('"address";q=3000;w=60, "api";q=2;w=60');
      expect(first.headers['ratelimit']).toBe('"address";r=2999;t=1, "api";r=1;t=30');
      expect((await request(`${url}/api/v1/users/nobody`)).status).toBe(404);
      const refused = await request(`${url}/api/v1/users`, { headers: { 'x-request-id': 'limited-1', origin: ALLOWED_ORIGIN } });
      const problem = expectProblem(refused, 429, 'RATE_LIMITED');
      expect(problem).toMatchObject({ request_id: 'limited-1', 'violated-policies': ['api'], limiter: 'api' });
      expect(refused.headers['retry-after']).toMatch(/^(29|30)$/);
      expect(refused.headers['ratelimit']).toMatch(/, "api";r=0;t=(29|30)$/);
      expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      // The handler never ran for the refused request: the store was not read.
      expect(log.access().at(-1)).toMatchObject({ request_id: 'limited-1', status: 429 });
      for (let i = 0; i < 3; i++) expect((await request(`${url}/health`)).status).toBe(200);
    });

    it('rate limit per address: requests with bad or tampered tokens (401s the per-user limit never sees) meet the address limit, then a 429 even with a valid token', async () => {
      const { url } = await start({ addressLimit: { name: 'address', limit: 3, windowMs: 60_000 } });
      const tampered = (await useAdminToken()).replace(/\.[^.]+$/, '.AAAA');
      for (const authorization of ['Bearer not.a.token', 'Bearer ' + tampered, 'Bearer x']) {
        const res = await request(`${url}/api/v1/users`, { headers: { authorization } });
        expectProblem(res, 401, res.json<{ code: string }>().code);
        expect(res.headers['ratelimit-policy']).toBe('"address";q=3;w=60');
      }
      const limited = await request(`${url}/api/v1/users`, { headers: { authorization: 'Bearer another.bad.token', 'x-request-id': 'flood-1' } });
      const problem = expectProblem(limited, 429, 'RATE_LIMITED');
      expect(problem).toMatchObject({ request_id: 'flood-1', 'violated-policies': ['address'], limiter: 'address' });
      expect(limited.headers['retry-after']).toMatch(/^(19|20)$/);
      // The same address with a good token: the address bucket is empty for it too; /health is not limited.
      expectProblem(await request(`${url}/api/v1/users`), 429, 'RATE_LIMITED');
      expect((await request(`${url}/health`)).status).toBe(200);
    });

    it('a handler that finishes within timeoutMs is untouched', async () => {
      await store.create(ADA);
      const { url } = await start({ store: withGet(store, async (id) => store.get(id)), timeoutMs: 1000 });
      const res = await request(`${url}/api/v1/users/u1`);
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ id: 'u1', name: ADA.name });
    });
  });
}
