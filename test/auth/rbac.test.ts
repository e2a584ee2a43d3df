/**
 * rbac(): the hierarchy (INCITS 359: seniors acquire juniors), deny by
 * default, wildcards as whole segments and nothing implied by a prefix,
 * configuration errors, ownership; then through real HTTP after jwtAuth on
 * every stack: 401 without a user (never 403), 403 FORBIDDEN with the
 * insufficient_scope challenge, every method guarded, and each decision
 * counted and logged without the token.
 */
import type { Context, Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { type AuthUser, type AuthzDecision, type RbacOptions, jwtAuth, rbac } from '@ward/auth';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, STACKS } from '../timeout/stacks.js';
import { AUDIENCE, ISSUER, NOW_MS, SECRET, claims, hs256 } from './tokens.js';

const ROLES: RbacOptions['roles'] = {
  admin: { inherits: ['editor'], permissions: ['admin:*'] },
  editor: { inherits: ['viewer'], permissions: ['articles:write', 'articles:publish'] },
  viewer: { permissions: ['articles:read', '*:list'] },
  auditor: { permissions: ['logs:read:*'] },
  root: { permissions: ['*'] },
};
const user = (roles: string[], permissions: string[] = []): AuthUser => ({ id: 'u1', roles, permissions, claims: {} });
const policy = (extra: Partial<RbacOptions> = {}) => rbac({ roles: ROLES, logger: false, registry: new Registry(), ...extra });

describe('rbac decisions', () => {
  const access = policy();
  it('a senior role acquires every junior permission and counts as the junior role', () => {
    expect(access.can(user(['admin']), 'articles:read')).toBe(true);
    expect(access.can(user(['admin']), 'articles:publish')).toBe(true);
    expect(access.hasRole(user(['admin']), 'viewer')).toBe(true);
    expect(access.can(user(['viewer']), 'articles:write')).toBe(false);
    expect(access.hasRole(user(['viewer']), 'editor')).toBe(false);
  });

  it('deny by default: no roles, unknown roles and other-case roles grant nothing', () => {
    for (const roles of [[], ['superuser'], ['Admin'], ['ADMIN']]) {
      expect(access.can(user(roles), 'articles:read')).toBe(false);
      expect(access.hasRole(user(roles), 'viewer')).toBe(false);
    }
    expect(access.can(undefined, 'articles:read')).toBe(false);
  });

  it('wildcards match whole segments: trailing * one or more, inner * exactly one; * alone everything', () => {
    expect(access.can(user(['admin']), 'admin:stats')).toBe(true);
    expect(access.can(user(['admin']), 'admin:stats:read')).toBe(true);
    expect(access.can(user(['admin']), 'administrator:stats')).toBe(false);
    expect(access.can(user(['viewer']), 'orders:list')).toBe(true);
    expect(access.can(user(['viewer']), 'orders:list:all')).toBe(false);
    expect(access.can(user(['auditor']), 'logs:read')).toBe(false);
    expect(access.can(user(['auditor']), 'logs:read:security')).toBe(true);
    expect(access.can(user(['root']), 'anything:at:all')).toBe(true);
  });

  it('no prefix implication: articles:read does not grant articles:readAll or articles', () => {
    expect(access.can(user(['viewer']), 'articles:readAll')).toBe(false);
    expect(access.can(user(['viewer']), 'articles')).toBe(false);
    expect(access.can(user(['viewer']), 'Articles:read')).toBe(false);
  });

  it("a token's own permissions count too (malformed ones are ignored)", () => {
    expect(access.can(user([], ['orders:read']), 'orders:read')).toBe(true);
    expect(access.can(user([], ['orders:*']), 'orders:refund')).toBe(true);
    expect(access.can(user([], ['orders::x', '']), 'orders:x')).toBe(false);
  });

  it.each([
    ['a cycle', { a: { inherits: ['b'] }, b: { inherits: ['a'] } }, /cycle: a → b → a/],
    ['a self-loop', { a: { inherits: ['a'] } }, /cycle: a → a/],
    ['an unknown junior', { a: { inherits: ['ghost'] } }, /unknown role "ghost"/],
    ['a bad permission', { a: { permissions: ['orders read'] } }, /invalid segment/],
    ['an unknown member', { a: { grants: ['x'] } }, /unknown member "grants"/],
    ['roles as a list', ['admin'], /roles must be an object/],
  ])('configuration refused: %s', (_name, roles, message) => {
    expect(() => rbac({ roles: roles as never, logger: false })).toThrow(message);
  });

  it('checks refuse unknown roles and wildcard requirements at configuration', () => {
    expect(() => access.requireRole('admn')).toThrow(/unknown role "admn"/);
    expect(() => access.requirePermission('articles:*')).toThrow(/cannot contain '\*'/);
    expect(() => access.requirePermission()).toThrow(/at least one/);
  });
});

for (const stack of STACKS) {
  describe(`rbac over HTTP on ${stack.name}`, () => {
    const registry = new Registry();
    const decisions: AuthzDecision[] = [];
    const logged: { level: string; record: Record<string, unknown> }[] = [];
    const keep = (level: string) => (record: object) => void logged.push({ level, record: record as Record<string, unknown> });
    const access = rbac({ roles: ROLES, registry, logger: { info: keep('info'), warn: keep('warn'), error: keep('error') }, onDecision: (d) => decisions.push(d) });
    let app: RunningApp;
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      for (const [name, roles] of [['admin', ['admin']], ['editor', ['editor']], ['viewer', ['viewer']], ['nobody', []], ['owner', ['viewer']]] as const) {
        tokens[name] = await hs256(claims({ sub: name, roles: [...roles] }));
      }
      const auth = jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, optional: true, registry: new Registry() });
      const owns = (ctx: Context, u: AuthUser) => ctx.req.path.endsWith(`/${u.id}`);
      const guards: Record<string, Middleware> = {
        '/admin': access.requireRole('admin'),
        '/viewer-only': access.requireRole('viewer'),
        '/publish': access.requirePermission('articles:publish'),
        '/read-or-write': access.requireAnyPermission('articles:read', 'articles:write'),
        '/both': access.requireAllRoles('editor', 'viewer'),
        '/docs/owner': access.requireOwnership(owns, { bypass: 'admin:docs' }),
        '/throws': access.requireOwnership(() => {
          throw new Error('database down');
        }),
        '/rejects': access.requireOwnership(() => Promise.reject(new Error('timeout'))),
        '/any-user': access.requireUser(),
      };
      const route: Middleware = (ctx, next) => guards[ctx.req.path]!(ctx, next);
      app = await stack.start({ chain: [auth, route], routes: Object.fromEntries(Object.keys(guards).map((path) => [path, (io) => io.json(200, { ok: true })])) });
    });
    afterAll(() => app.close());

    const get = (path: string, who?: string, method = 'GET') => request(`${app.url}${path}`, { method, headers: who === undefined ? {} : { authorization: `Bearer ${tokens[who]}` } });

    it('the hierarchy over HTTP: admin passes a viewer-only route; viewer does not pass an admin route', async () => {
      expect((await get('/viewer-only', 'admin')).status).toBe(200);
      expect((await get('/admin', 'admin')).status).toBe(200);
      expect((await get('/admin', 'viewer')).status).toBe(403);
      expect((await get('/admin', 'nobody')).status).toBe(403);
    });

    it('no user: 401 with the plain challenge, never 403', async () => {
      const res = await get('/admin');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.json()).toMatchObject({ status: 401, code: 'TOKEN_MISSING' });
    });

    it('not allowed: 403 FORBIDDEN problem with insufficient_scope and the scope for permission checks', async () => {
      const res = await get('/publish', 'viewer');
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", scope="articles:publish"');
      expect(res.json()).toEqual({ type: 'urn:ward:problem:forbidden', title: 'Forbidden', status: 403, code: 'FORBIDDEN', detail: 'You are not allowed to do this' });
      expect((await get('/admin', 'viewer')).headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope"');
      expect((await get('/publish', 'editor')).status).toBe(200);
    });

    it('any-of and all-of', async () => {
      expect((await get('/read-or-write', 'viewer')).status).toBe(200);
      expect((await get('/read-or-write', 'nobody')).status).toBe(403);
      expect((await get('/both', 'editor')).status).toBe(200);
      expect((await get('/both', 'viewer')).status).toBe(403);
    });

    it('ownership: the owner passes, others do not, the bypass permission does; a throwing or rejecting check denies with 403', async () => {
      const owner = await request(`${app.url}/docs/owner`, { headers: { authorization: `Bearer ${await hs256(claims({ sub: 'owner', roles: ['viewer'] }))}` } });
      expect(owner.status).toBe(200);
      expect((await get('/docs/owner', 'viewer')).status).toBe(403);
      expect((await get('/docs/owner', 'admin')).status).toBe(200);
      expect((await get('/throws', 'admin')).status).toBe(403);
      expect((await get('/rejects', 'admin')).status).toBe(403);
      expect(logged.filter((l) => l.level === 'error').map((l) => l.record['error'])).toContain('Error');
    });

    it('no method gets past the check (the route is GET only: others are refused, or unrouted, never served)', async () => {
      expect((await get('/admin', 'viewer')).status).toBe(403);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'FOO']) {
        expect([403, 404, 405, 400], method).toContain((await get('/admin', 'viewer', method)).status);
      }
    });

    it('each decision is counted and logged: who, what, allowed; never the token', async () => {
      decisions.length = 0;
      logged.length = 0;
      await get('/publish', 'editor');
      await get('/publish', 'viewer');
      await get('/publish');
      expect(decisions.map((d) => [d.user_id, d.check, d.decision, d.allowed])).toEqual([
        ['editor', 'permission:articles:publish', 'allowed', true],
        ['viewer', 'permission:articles:publish', 'denied', false],
        [null, 'permission:articles:publish', 'unauthenticated', false],
      ]);
      expect(decisions[0]).toMatchObject({ log: 'authz', required: ['articles:publish'], method: 'GET', path: '/publish' });
      expect(logged.map((l) => l.level)).toEqual(['info', 'warn', 'warn']);
      expect(JSON.stringify(logged)).not.toContain(tokens['editor']!.split('.')[2]);
      const series = (await registry.getSingleMetric('ward_authz_decisions_total')!.get()).values.filter((v) => v.labels['check'] === 'permission:articles:publish');
      const by = Object.fromEntries(series.map((v) => [v.labels['decision'], v.value]));
      expect(by['allowed']).toBeGreaterThanOrEqual(2);
      expect(by['denied']).toBeGreaterThanOrEqual(2);
      expect(by['unauthenticated']).toBe(1);
    });
  });
}
