/**
 * rbac() over real HTTP on every stack (engine, Express 5, Express 4,
 * Fastify 5): the hierarchy, 401 without a user (never 403) and 403
 * FORBIDDEN with the RFC 6750 insufficient_scope challenge, any-of and
 * all-of, direct permissions, ownership (allow, deny, throw, reject, a
 * truthy non-boolean), every method guarded, decisions made per request
 * (a role removed takes effect on the next request), route-level guards,
 * and a failing logger or hook that changes nothing.
 *
 * A tiny middleware stands in for jwtAuth: `x-as: <name>` picks a user
 * from a table the tests may change between requests.
 */
import type { Context, Middleware } from '@ward/core';
import { type TestResponse, request } from '@ward/core/testing';
import { type AuthUser, type AuthzLogger, type RbacOptions, rbac } from '@ward/auth';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningApp, STACKS } from '../timeout/stacks.js';

const ROLES: RbacOptions['roles'] = {
  admin: { inherits: ['editor'], permissions: ['users:*'] },
  editor: { inherits: ['viewer'], permissions: ['articles:write', 'articles:publish'] },
  viewer: { permissions: ['articles:read', 'orders:read:own'] },
  support: { permissions: ['orders:read:any'] },
};

const USERS: Record<string, { roles: string[]; permissions?: string[] }> = {
  admin: { roles: ['admin'] },
  editor: { roles: ['editor'] },
  viewer: { roles: ['viewer'] },
  support: { roles: ['support'] },
  both: { roles: ['viewer', 'support'] },
  nobody: { roles: [] },
  superuser: { roles: ['superuser'] },
  Admin: { roles: ['Admin'] },
  scoped: { roles: [], permissions: ['articles:publish'] },
};

/** Stands in for jwtAuth: `x-as: <name>` → ctx.state.user, read from `table` on every request. */
function asUser(table: Map<string, AuthUser>): Middleware {
  return async function asUser(ctx, next) {
    const name = ctx.req.header('x-as');
    const found = name === undefined ? undefined : table.get(name);
    if (found !== undefined) ctx.state.user = found;
    await next();
  };
}
const freshUsers = () => new Map(Object.entries(USERS).map(([id, u]) => [id, { id, roles: u.roles, permissions: u.permissions ?? [], claims: {} } satisfies AuthUser]));

/** Routes every guard by the first path segment; a path with no guard is a test bug. */
function dispatch(guards: Record<string, Middleware>): Middleware {
  return function dispatch(ctx, next) {
    const guard = guards[ctx.req.path.split('/')[1]!];
    if (guard === undefined) throw new Error(`no guard for ${ctx.req.path}`);
    return guard(ctx, next);
  };
}

const FORBIDDEN = { type: 'urn:ward:problem:forbidden', title: 'Forbidden', status: 403, code: 'FORBIDDEN', detail: 'You are not allowed to do this' };
const MISSING = { type: 'urn:ward:problem:token-missing', title: 'Unauthorized', status: 401, code: 'TOKEN_MISSING', detail: 'This resource needs a bearer token' };

function expectForbidden(res: TestResponse, challenge: string): void {
  expect(res.status).toBe(403);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['www-authenticate']).toBe(challenge);
  expect(res.json()).toEqual(FORBIDDEN);
}

for (const stack of STACKS) {
  describe(`rbac over HTTP on ${stack.name}`, () => {
    const users = freshUsers();
    const served: string[] = [];
    const ownsCalls: string[] = [];
    let app: RunningApp;

    beforeAll(async () => {
      const access = rbac({ roles: ROLES, logger: false, registry: new Registry() });
      /** `/own/<owner>`: the user's id is the owner. */
      const owns = (ctx: Context, user: AuthUser): boolean => {
        ownsCalls.push(user.id);
        return ctx.req.path.split('/')[2] === user.id;
      };
      const guards: Record<string, Middleware> = {
        me: access.requireUser(),
        admin: access.requireRole('admin'),
        viewer: access.requireRole('viewer'),
        staff: access.requireRole('support', 'admin'),
        both: access.requireAllRoles('viewer', 'support'),
        publish: access.requirePermission('articles:publish'),
        purge: access.requirePermission('articles:publish', 'users:delete'),
        'read-or-write': access.requireAnyPermission('articles:read', 'articles:write'),
        own: access.requireOwnership(owns, { orPermission: 'orders:read:any' }),
        'own-async': access.requireOwnership(async (ctx, user) => {
          await Promise.resolve();
          return ctx.req.path.split('/')[2] === user.id;
        }),
        throws: access.requireOwnership(() => {
          throw new Error('database down at 10.0.0.7');
        }),
        rejects: access.requireOwnership(() => Promise.reject(new TypeError('timeout'))),
        'rejects-nothing': access.requireOwnership(() => Promise.reject(undefined as never)),
        truthy: access.requireOwnership(() => 'yes' as never),
        'truthy-async': access.requireOwnership(() => Promise.resolve(1 as never)),
      };
      const routes = Object.fromEntries(
        ['/me', '/admin', '/viewer', '/staff', '/both', '/publish', '/purge', '/read-or-write', '/own/:id', '/own-async/:id', '/throws', '/rejects', '/rejects-nothing', '/truthy', '/truthy-async'].map((path) => [
          path,
          (io: { json(status: number, body: unknown): void }) => {
            served.push(path);
            io.json(200, { ok: true });
          },
        ]),
      );
      app = await stack.start({ chain: [asUser(users), dispatch(guards)], routes });
    });
    afterAll(() => app.close());
    beforeEach(() => {
      served.length = 0;
      ownsCalls.length = 0;
    });

    const send = (path: string, who?: string, method = 'GET', headers: Record<string, string> = {}) =>
      request(`${app.url}${path}`, { method, headers: who === undefined ? headers : { 'x-as': who, ...headers } });

    it('the hierarchy: admin passes viewer-only and admin routes; editor and viewer do not pass the admin route', async () => {
      expect((await send('/viewer', 'admin')).status).toBe(200);
      expect((await send('/viewer', 'editor')).status).toBe(200);
      expect((await send('/admin', 'admin')).status).toBe(200);
      expect(served).toEqual(['/viewer', '/viewer', '/admin']);
      expectForbidden(await send('/admin', 'editor'), 'Bearer realm="api", error="insufficient_scope"');
      expectForbidden(await send('/admin', 'viewer'), 'Bearer realm="api", error="insufficient_scope"');
      expect((await send('/publish', 'viewer')).status).toBe(403);
      expect((await send('/publish', 'editor')).status).toBe(200);
      expect((await send('/purge', 'admin')).status).toBe(200);
    });

    it('deny by default: no roles, unknown roles and other-case roles get 403 on every protected route', async () => {
      for (const who of ['nobody', 'superuser', 'Admin']) {
        for (const path of ['/admin', '/viewer', '/publish', '/read-or-write', '/staff']) {
          expect((await send(path, who)).status, `${who} ${path}`).toBe(403);
        }
      }
      expect(served).toEqual([]);
    });

    it('no user: 401 TOKEN_MISSING with the plain challenge (no error=), never 403; the handler does not run', async () => {
      for (const path of ['/me', '/admin', '/publish', '/own/viewer', '/throws']) {
        const res = await send(path);
        expect(res.status, path).toBe(401);
        expect(res.headers['www-authenticate'], path).toBe('Bearer realm="api"');
        expect(res.headers['content-type'], path).toBe('application/problem+json');
        expect(res.headers['cache-control'], path).toBe('no-store');
        expect(res.json(), path).toEqual(MISSING);
      }
      expect(ownsCalls).toEqual([]);
      expect(served).toEqual([]);
      expect((await send('/me', 'nobody')).status).toBe(200);
    });

    it('403 for a permission check names the required permissions, space-separated, in the challenge (RFC 6750 §3.1)', async () => {
      expectForbidden(await send('/publish', 'viewer'), 'Bearer realm="api", error="insufficient_scope", scope="articles:publish"');
      expectForbidden(await send('/purge', 'editor'), 'Bearer realm="api", error="insufficient_scope", scope="articles:publish users:delete"');
      expectForbidden(await send('/read-or-write', 'support'), 'Bearer realm="api", error="insufficient_scope", scope="articles:read articles:write"');
      expectForbidden(await send('/own/someone-else', 'viewer'), 'Bearer realm="api", error="insufficient_scope", scope="orders:read:any"');
    });

    it('all-of and any-of, for permissions and for roles', async () => {
      expect((await send('/purge', 'editor')).status).toBe(403);
      expect((await send('/purge', 'admin')).status).toBe(200);
      expect((await send('/read-or-write', 'viewer')).status).toBe(200);
      expect((await send('/read-or-write', 'nobody')).status).toBe(403);
      expect((await send('/staff', 'support')).status).toBe(200);
      expect((await send('/staff', 'admin')).status).toBe(200);
      expect((await send('/staff', 'editor')).status).toBe(403);
      expect((await send('/both', 'both')).status).toBe(200);
      expect((await send('/both', 'viewer')).status).toBe(403);
      expect((await send('/both', 'support')).status).toBe(403);
    });

    it("a token's own permissions are checked with the roles'", async () => {
      expect((await send('/publish', 'scoped')).status).toBe(200);
      expect((await send('/purge', 'scoped')).status).toBe(403);
      expect((await send('/admin', 'scoped')).status).toBe(403);
    });

    it('ownership: the owner passes, another user does not, the orPermission holder passes without running owns()', async () => {
      expect((await send('/own/viewer', 'viewer')).status).toBe(200);
      expect((await send('/own/editor', 'viewer')).status).toBe(403);
      expect(ownsCalls).toEqual(['viewer', 'viewer']);
      expect((await send('/own/someone', 'support')).status).toBe(200);
      expect(ownsCalls).toEqual(['viewer', 'viewer']);
      expect((await send('/own-async/editor', 'editor')).status).toBe(200);
      expect((await send('/own-async/editor', 'admin')).status).toBe(403);
      expect(served).toEqual(['/own/:id', '/own/:id', '/own-async/:id']);
    });

    it('an ownership check that throws, rejects, or answers a truthy non-boolean denies with the same 403, no internals', async () => {
      for (const path of ['/throws', '/rejects', '/rejects-nothing', '/truthy', '/truthy-async']) {
        const res = await send(path, 'admin');
        expectForbidden(res, 'Bearer realm="api", error="insufficient_scope"');
        expect(res.text, path).not.toContain('database');
        expect(res.text, path).not.toContain('10.0.0.7');
      }
      expect(served).toEqual([]);
    });

    it('every method goes through the check: a denied user gets 403 whatever the method or override; an unknown method never reaches the app', async () => {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
        const res = await send('/admin', 'viewer', method);
        expect(res.status, method).toBe(403);
        expect(res.headers['www-authenticate'], method).toBe('Bearer realm="api", error="insufficient_scope"');
      }
      expect((await send('/admin', 'viewer', 'POST', { 'x-http-method-override': 'GET' })).status).toBe(403);
      // Node's HTTP parser refuses a method it does not know before any code runs.
      expect((await send('/admin', 'admin', 'FOO')).status).toBe(400);
      expect(served).toEqual([]);
    });

    it('decisions are made per request: a role removed (or added) takes effect on the next request', async () => {
      expect((await send('/publish', 'editor')).status).toBe(200);
      users.set('editor', { ...users.get('editor')!, roles: ['viewer'] });
      expect((await send('/publish', 'editor')).status).toBe(403);
      users.set('editor', { ...users.get('editor')!, roles: ['admin'] });
      expect((await send('/admin', 'editor')).status).toBe(200);
      users.set('editor', { ...users.get('editor')!, roles: ['editor'] });
      expect((await send('/admin', 'editor')).status).toBe(403);
    });
  });

  describe(`rbac as a route-level guard on ${stack.name}, with its own realm`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      const access = rbac({ roles: ROLES, realm: 'orders', logger: false, registry: new Registry() });
      app = await stack.start({ chain: [asUser(freshUsers())], routeChain: [access.requirePermission('articles:write')], routes: { '/articles/:id': (io) => io.json(200, { edited: true }) } });
    });
    afterAll(() => app.close());

    it('allows, refuses with the configured realm, and asks unauthenticated requests for a token', async () => {
      const ok = await request(`${app.url}/articles/7`, { headers: { 'x-as': 'editor' } });
      expect(ok.status).toBe(200);
      expect(ok.json()).toEqual({ edited: true });
      const refused = await request(`${app.url}/articles/7`, { headers: { 'x-as': 'viewer' } });
      expectForbidden(refused, 'Bearer realm="orders", error="insufficient_scope", scope="articles:write"');
      const anonymous = await request(`${app.url}/articles/7`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="orders"');
    });
  });

  describe(`rbac with a failing logger and hook on ${stack.name}`, () => {
    let app: RunningApp;
    const registry = new Registry();
    const attempts: string[] = [];
    beforeAll(async () => {
      const broken = (level: string) => () => {
        attempts.push(level);
        throw new Error('disk full');
      };
      const logger: AuthzLogger = { info: broken('info'), warn: broken('warn') };
      const access = rbac({ roles: ROLES, registry, logger, onDecision: broken('hook') });
      app = await stack.start({
        chain: [asUser(freshUsers()), dispatch({ publish: access.requirePermission('articles:publish'), throws: access.requireOwnership(() => { throw new Error('x'); }) })],
        routes: { '/publish': (io) => io.json(200, { ok: true }), '/throws': (io) => io.json(200, { ok: true }) },
      });
    });
    afterAll(() => app.close());

    it('the answer is unchanged (allowed 200, denied 403, a failing check 403 logged at warn without error()), and the decision still counted', async () => {
      expect((await request(`${app.url}/publish`, { headers: { 'x-as': 'editor' } })).status).toBe(200);
      expect((await request(`${app.url}/publish`, { headers: { 'x-as': 'viewer' } })).status).toBe(403);
      expect((await request(`${app.url}/throws`, { headers: { 'x-as': 'viewer' } })).status).toBe(403);
      expect(attempts).toEqual(['info', 'hook', 'warn', 'hook', 'warn', 'hook']);
      const values = (await registry.getSingleMetric('ward_authz_decisions_total')!.get()).values;
      const count = (check: string, decision: string) => values.find((v) => v.labels['check'] === check && v.labels['decision'] === decision)?.value;
      expect(count('permission:articles:publish', 'allowed')).toBe(1);
      expect(count('permission:articles:publish', 'denied')).toBe(1);
      expect(count('ownership', 'error')).toBe(1);
    });
  });
}
