/**
 * The HTTP contract of the example's auth routes, written once and run
 * against every example app (engine, Express, Fastify) over real sockets:
 * register, login, refresh with rotation and reuse detection, logout,
 * the profile, the admin pages, cookies and caching, cross-site refusal,
 * and the strict rate limit of /api/auth/.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { request as rawRequest, type TestResponse } from '@ward/core/testing';
import { ALLOWED_ORIGIN, OTHER_ORIGIN, type AppDeps, type ExampleTarget, type StartedApp, collectingLogger, testStore, withAuth } from './user-api.js';

const PASSWORD = 'correct horse battery staple';
const ADA = { name: 'Ada Lovelace', email: 'ada@example.com', age: 36, password: PASSWORD };

/** The refresh cookie's value in a Set-Cookie answer. */
function refreshCookie(res: TestResponse): string {
  const header = res.headers['set-cookie'];
  const line = (Array.isArray(header) ? header : [header ?? '']).find((l) => l.startsWith('__Secure-refresh_token='));
  expect(line, 'a refresh cookie').toBeDefined();
  return line!.split(';')[0]!.slice('__Secure-refresh_token='.length);
}

export function authApiScenarios(target: ExampleTarget): void {
  describe(`${target.name}: auth API`, () => {
    let app: StartedApp;
    let deps: AppDeps & { auth: NonNullable<AppDeps['auth']> };
    const securityEvents: unknown[] = [];

    async function start(extra: Partial<AppDeps> = {}): Promise<void> {
      const { store } = testStore();
      deps = await withAuth({ store, registry: new Registry(), onError: () => {}, logger: collectingLogger().logger, corsOrigins: [ALLOWED_ORIGIN], authLimit: { name: 'auth', limit: 1000, windowMs: 60_000 }, ...extra });
      app = await target.start(deps);
    }
    beforeEach(async () => {
      securityEvents.length = 0;
      await start();
    });
    afterEach(() => app.close());

    const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      rawRequest(`${app.url}${path}`, { method: 'POST', headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const get = (path: string, token?: string) => rawRequest(`${app.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    const register = () => post('/api/auth/register', ADA);
    const login = (password = PASSWORD, email = ADA.email) => post('/api/auth/login', { email, password });

    it('register: 201 with the user (role user, no password) and an access token; the refresh token only in a scoped HttpOnly cookie; no-store', async () => {
      const res = await register();
      expect(res.status).toBe(201);
      const body = res.json<Record<string, unknown>>();
      expect(body['user']).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', role: 'user' });
      expect(JSON.stringify(body)).not.toContain(PASSWORD);
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(body['access_token']).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(res.headers['cache-control']).toBe('no-store');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^__Secure-refresh_token=[\w-]{22}\.[\w-]{43}; Max-Age=\d+; Path=\/api\/auth; HttpOnly; Secure; SameSite=Strict$/);
      // 14 days (the idle lifetime), give or take the second the request took.
      expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeGreaterThan(1_209_500);
      expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeLessThanOrEqual(1_209_600);
      expect(JSON.stringify(body)).not.toContain(refreshCookie(res));
    });

    it('register refuses a chosen role, a short password, a taken e-mail', async () => {
      const withRole = await post('/api/auth/register', { ...ADA, role: 'admin' });
      expect(withRole.json<{ user: { role: string } }>().user.role).toBe('user');
      expect((await post('/api/auth/register', { ...ADA, email: 'b@example.com', password: 'short' })).json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect((await register()).json()).toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
    });

    it('login: 200 with tokens; a wrong password and an unknown e-mail get the same 401', async () => {
      await register();
      const ok = await login();
      expect(ok.status).toBe(200);
      expect(ok.headers['cache-control']).toBe('no-store');
      const wrong = await login('wrong password!!');
      const unknown = await login(PASSWORD, 'nobody@example.com');
      for (const res of [wrong, unknown]) {
        expect(res.status).toBe(401);
        expect(res.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', detail: 'The email or password is wrong' });
      }
      expect((await post('/api/auth/login', { email: ADA.email, password: 'x'.repeat(129) })).status).toBe(400);
    });

    it('the profile: 401 without a token, the own record with one; PUT changes name and age, never the role', async () => {
      const token = (await register()).json<{ access_token: string }>().access_token;
      expect((await get('/api/users/profile')).status).toBe(401);
      expect((await get('/api/users/profile', token)).json()).toMatchObject({ email: 'ada@example.com', role: 'user' });
      const put = await rawRequest(`${app.url}/api/users/profile`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada King', email: 'ada@example.com', age: 37, role: 'admin' }) });
      expect(put.status).toBe(200);
      expect(put.json()).toMatchObject({ name: 'Ada King', age: 37, role: 'user' });
    });

    it('/api/v1 needs a token (401 with the Bearer challenge); admin pages need role admin (403), and an admin gets them', async () => {
      const user = (await register()).json<{ access_token: string }>().access_token;
      const none = await get('/api/v1/users');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect((await get('/api/v1/users', user)).status).toBe(200);
      for (const page of ['dashboard', 'stats']) {
        expect((await get(`/api/v1/admin/${page}`)).status).toBe(401);
        const forbidden = await get(`/api/v1/admin/${page}`, user);
        expect(forbidden.status).toBe(403);
        expect(forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
        expect(forbidden.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope"');
      }
      await deps.auth.seed({ name: 'Root', email: 'root@example.com', age: 40, role: 'admin', password: PASSWORD });
      const admin = (await login(PASSWORD, 'root@example.com')).json<{ access_token: string }>().access_token;
      expect((await get('/api/v1/admin/dashboard', admin)).json()).toEqual({ users: 2, capacity: 10_000 });
      expect((await get('/api/v1/admin/stats', admin)).json()).toEqual({ users: 2, byRole: { admin: 1, user: 1, guest: 0 } });
      expect((await get('/api/v1/users', 'garbage.token.here')).json()).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    });

    it('refresh rotates: a new access token and cookie; the old cookie again revokes the login (reuse) and clears the cookie', async () => {
      await register();
      const first = refreshCookie(await login());
      const rotated = await post('/api/auth/refresh', undefined, { cookie: `__Secure-refresh_token=${first}` });
      expect(rotated.status).toBe(200);
      expect(rotated.headers['cache-control']).toBe('no-store');
      const second = refreshCookie(rotated);
      expect(second).not.toBe(first);
      const rotatedAccess = rotated.json<{ access_token: string }>().access_token;
      expect((await get('/api/v1/users', rotatedAccess)).status).toBe(200);
      const reuse = await post('/api/auth/refresh', undefined, { cookie: `__Secure-refresh_token=${first}` });
      expect(reuse.status).toBe(401);
      expect(reuse.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED', error: 'invalid_grant' });
      expect(String(reuse.headers['set-cookie'])).toBe('__Secure-refresh_token=; Max-Age=0; Path=/api/auth; HttpOnly; Secure; SameSite=Strict');
      expect((await post('/api/auth/refresh', undefined, { cookie: `__Secure-refresh_token=${second}` })).json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      expect((await post('/api/auth/refresh')).json()).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_INVALID' });
      // The access token that rotation handed out (maybe to a thief) is revoked with the login (its sid).
      expect((await get('/api/v1/users', rotatedAccess)).json()).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    });

    it('logout with the cookie alone revokes every access token of that login (sid), not those of another login', async () => {
      await register();
      const loggedIn = await login();
      const cookie = `__Secure-refresh_token=${refreshCookie(loggedIn)}`;
      const access = loggedIn.json<{ access_token: string }>().access_token;
      const rotated = await post('/api/auth/refresh', undefined, { cookie });
      const rotatedAccess = rotated.json<{ access_token: string }>().access_token;
      const other = (await login()).json<{ access_token: string }>().access_token;
      expect((await post('/api/auth/logout', undefined, { cookie: `__Secure-refresh_token=${refreshCookie(rotated)}` })).status).toBe(204);
      for (const token of [access, rotatedAccess]) expect((await get('/api/v1/users', token)).json()).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
      expect((await get('/api/v1/users', other)).status).toBe(200);
    });

    it('two simultaneous refreshes with one cookie: exactly one 200', async () => {
      await register();
      const cookie = `__Secure-refresh_token=${refreshCookie(await login())}`;
      const answers = await Promise.all(Array.from({ length: 5 }, () => post('/api/auth/refresh', undefined, { cookie })));
      expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
      expect(answers.filter((res) => res.status === 401)).toHaveLength(4);
    });

    it('refresh and logout from a foreign Origin: 403 CROSS_SITE_REQUEST; from the app origin: served', async () => {
      await register();
      const cookie = `__Secure-refresh_token=${refreshCookie(await login())}`;
      for (const path of ['/api/auth/refresh', '/api/auth/logout']) {
        const res = await post(path, undefined, { cookie, origin: OTHER_ORIGIN });
        expect(res.status).toBe(403);
        expect(res.json()).toMatchObject({ code: 'CROSS_SITE_REQUEST' });
      }
      expect((await post('/api/auth/refresh', undefined, { cookie, origin: ALLOWED_ORIGIN })).status).toBe(200);
    });

    it('logout: 204, the cookie cleared, the refresh token and the access token dead', async () => {
      await register();
      const res = await login();
      const token = res.json<{ access_token: string }>().access_token;
      const cookie = `__Secure-refresh_token=${refreshCookie(res)}`;
      expect((await get('/api/v1/users', token)).status).toBe(200);
      const out = await post('/api/auth/logout', undefined, { cookie, authorization: `Bearer ${token}` });
      expect(out.status).toBe(204);
      expect(out.text).toBe('');
      expect(String(out.headers['set-cookie'])).toBe('__Secure-refresh_token=; Max-Age=0; Path=/api/auth; HttpOnly; Secure; SameSite=Strict');
      expect(out.headers['clear-site-data']).toBe('"cookies"');
      expect((await post('/api/auth/refresh', undefined, { cookie })).status).toBe(401);
      expect((await get('/api/v1/users', token)).json()).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    });

    it('logout with a stale or bad bearer token still ends the login (204): the auth routes answer from the cookie', async () => {
      await register();
      const res = await login();
      const cookie = `__Secure-refresh_token=${refreshCookie(res)}`;
      const out = await post('/api/auth/logout', undefined, { cookie, authorization: 'Bearer abc.def.ghi' });
      expect(out.status).toBe(204);
      expect((await post('/api/auth/refresh', undefined, { cookie })).status).toBe(401);
      // A login with a leftover bad bearer is a login too, not a 401.
      expect((await post('/api/auth/login', { email: ADA.email, password: PASSWORD }, { authorization: 'Bearer abc.def.ghi' })).status).toBe(200);
      // Elsewhere a bad token is still refused.
      expect((await get('/api/v1/users', 'abc.def.ghi')).json()).toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    });

    it('the /api/auth/ limit (per address, before any token is read) refuses with 429 past its burst', async () => {
      await app.close();
      await start({ authLimit: { name: 'auth', limit: 3, windowMs: 60_000 } });
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await login('wrong password!!', 'x@example.com')).status);
      expect(codes).toEqual([401, 401, 401, 429]);
    });

    it('a register body over the example’s 100 KiB is a 413 on every stack', async () => {
      const res = await post('/api/auth/register', { name: 'Big', email: 'big@example.com', age: 30, password: 'a long enough password', pad: 'x'.repeat(200 * 1024) });
      expect(res.status).toBe(413);
      expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('the /api/auth/ limit also counts the spellings a router reads as the same path (Express: any case; Fastify: decoded)', async () => {
      await app.close();
      await start({ authLimit: { name: 'auth', limit: 3, windowMs: 60_000 } });
      const body = { email: 'x@example.com', password: 'wrong password!!' };
      const codes = [];
      for (const path of ['/API/auth/login', '/api/%61uth/login', '/api/Auth/login', '/api/auth/login']) codes.push((await post(path, body)).status);
      expect(codes.slice(0, 3)).not.toContain(429);
      expect(codes[3]).toBe(429);
    });
  });
}

describe('the example account service', () => {
  it('forgets the passwords of deleted users once it holds more than the store can (bounded memory)', async () => {
    const { createExampleAuth } = await import('../../examples/server/auth/service.js');
    const { createUserStore } = await import('../../examples/server/users/store.js');
    const users = createUserStore({ maxUsers: 2 });
    const auth = createExampleAuth({ users, secret: 'tests-only-example-secret-0123456789abcdef', onEvent: () => {} });
    for (let i = 0; i < 5; i++) {
      const user = await auth.seed({ name: `User ${i}`, email: `u${i}@example.com`, age: 30, role: 'user', password: 'a long enough password' });
      await users.remove(user.id);
    }
    expect(auth.storedPasswords()).toBeLessThanOrEqual(users.maxUsers + 1);
    const kept = await auth.seed({ name: 'Kept', email: 'kept@example.com', age: 30, role: 'user', password: 'a long enough password' });
    // A deleted user's old password never signs anyone in, and the live one still does.
    await expect(auth.login({ email: 'u0@example.com', password: 'a long enough password' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect((await auth.login({ email: kept.email, password: 'a long enough password' })).status).toBe(200);
  });
});
