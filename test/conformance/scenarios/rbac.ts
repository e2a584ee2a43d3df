/**
 * Scenarios: @ward/auth's rbac() checks on every adapter — the role
 * hierarchy, 401 TOKEN_MISSING without a user (never 403) and 403 FORBIDDEN
 * with the RFC 6750 insufficient_scope challenge, the required scope on a
 * permission check, every method guarded, an ownership check that throws
 * or rejects denying (never a 500), the 403 still visible to an outer
 * middleware after next(), an allowed request's handler error reaching the
 * framework, and rbac after the real jwtAuth.
 *
 * `asUser` stands in for jwtAuth (`x-as: <name>` picks a user), so these
 * scenarios test rbac alone; the last one uses jwtAuth itself.
 */
import type { Middleware } from '@ward/core';
import { type AuthUser, type RbacOptions, jwtAuth, rbac } from '@ward/auth';
import { Registry } from 'prom-client';
import type { Scenario } from '../harness.js';
import { CREATED_BODY, type Probe, TEXT_BODY } from '../probe.js';
import { AUDIENCE, ISSUER, NOW_MS, SECRET, claims, handMade } from '../../auth/tokens.js';

const ROLES: RbacOptions['roles'] = {
  admin: { inherits: ['editor'], permissions: ['users:*'] },
  editor: { inherits: ['viewer'], permissions: ['articles:write'] },
  viewer: { permissions: ['articles:read'] },
};

const USERS: Readonly<Record<string, AuthUser>> = {
  admin: { id: 'admin-1', roles: ['admin'], permissions: [], claims: {} },
  editor: { id: 'editor-1', roles: ['editor'], permissions: [], claims: {} },
  viewer: { id: 'viewer-1', roles: ['viewer'], permissions: [], claims: {} },
  nobody: { id: 'nobody-1', roles: [], permissions: [], claims: {} },
  superuser: { id: 'su-1', roles: ['superuser', 'Admin', 'ADMIN', 'admin '], permissions: [], claims: {} },
  scoped: { id: 'scoped-1', roles: [], permissions: ['articles:write'], claims: {} },
};

/** Stands in for jwtAuth: `x-as: <name>` → ctx.state.user. */
const asUser: Middleware = async function asUser(ctx, next) {
  const name = ctx.req.header('x-as');
  if (name !== undefined && Object.hasOwn(USERS, name)) ctx.state.user = USERS[name];
  await next();
};

const access = () => rbac({ roles: ROLES, logger: false, registry: new Registry() });
const as = (who: string, method?: string) => ({ ...(method === undefined ? {} : { method }), headers: { 'x-as': who } });

/** Records the status an outer middleware sees after next(), and says so in a header. */
function statusAfterNext(probe: Probe): Middleware {
  return async function statusAfterNext(ctx, next) {
    await next();
    probe.log.push(`outer saw ${ctx.res.status}`);
    ctx.res.setHeader('x-outer-saw', String(ctx.res.status));
  };
}

const FORBIDDEN = { type: 'urn:ward:problem:forbidden', title: 'Forbidden', status: 403, code: 'FORBIDDEN', detail: 'You are not allowed to do this' };
const MISSING = { type: 'urn:ward:problem:token-missing', title: 'Unauthorized', status: 401, code: 'TOKEN_MISSING', detail: 'This resource needs a bearer token' };
const ROLE_CHALLENGE = 'Bearer realm="api", error="insufficient_scope"';

export const RBAC: readonly Scenario[] = [
  {
    name: 'rbac: a senior role passes a junior check (admin ≥ editor ≥ viewer); a junior gets 403 FORBIDDEN with insufficient_scope',
    chain: () => [asUser, access().requireRole('editor')],
    exchanges: [
      { path: '/text', request: as('admin'), expect: { status: 200, text: TEXT_BODY, headers: { 'www-authenticate': null } } },
      { path: '/text', request: as('editor'), expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', request: as('viewer'), expect: { status: 403, headers: { 'www-authenticate': ROLE_CHALLENGE }, problem: FORBIDDEN } },
      { path: '/text', request: as('nobody'), expect: { status: 403, headers: { 'www-authenticate': ROLE_CHALLENGE }, problem: FORBIDDEN } },
    ],
    counts: { text: 2 },
  },
  {
    name: 'rbac: no user is 401 TOKEN_MISSING with the plain Bearer challenge, never 403; the handler does not run',
    chain: () => [asUser, access().requireRole('viewer')],
    exchanges: [
      { path: '/text', expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, problem: MISSING } },
      { path: '/created', request: { method: 'POST' }, expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, problem: MISSING } },
    ],
    counts: {},
  },
  {
    name: 'rbac: a permission check names the required scope in the 403 challenge; a token’s own permission counts; any-of passes on one',
    chain: () => {
      const a = access();
      return [asUser, a.requireAnyPermission('articles:read', 'users:list'), a.requirePermission('articles:write', 'articles:read')];
    },
    exchanges: [
      { path: '/text', request: as('editor'), expect: { status: 200, text: TEXT_BODY } },
      {
        path: '/text',
        request: as('viewer'),
        expect: { status: 403, headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="articles:write articles:read"' }, problem: FORBIDDEN },
      },
      {
        path: '/text',
        request: as('scoped'),
        expect: { status: 403, headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="articles:read users:list"' }, problem: FORBIDDEN },
      },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rbac: every method goes through the check, and an outer middleware sees the 403 after next()',
    chain: (probe) => [statusAfterNext(probe), asUser, access().requireRole('admin')],
    exchanges: [
      { path: '/created', request: as('editor', 'POST'), expect: { status: 403, headers: { 'x-outer-saw': '403', 'www-authenticate': ROLE_CHALLENGE }, problem: FORBIDDEN } },
      { path: '/created', request: { method: 'POST', headers: { 'x-as': 'editor', 'x-http-method-override': 'GET' } }, expect: { status: 403, problem: FORBIDDEN } },
      { path: '/text', request: as('editor', 'DELETE'), expect: { status: 403, headers: { 'x-outer-saw': '403' }, problem: FORBIDDEN } },
      { path: '/text', request: as('editor', 'OPTIONS'), expect: { status: 403, headers: { 'x-outer-saw': '403' }, problem: FORBIDDEN } },
      { path: '/text', request: as('editor', 'HEAD'), expect: { status: 403, headers: { 'x-outer-saw': '403', 'www-authenticate': ROLE_CHALLENGE } } },
      { path: '/created', request: as('admin', 'POST'), expect: { status: 201, json: CREATED_BODY, headers: { 'x-outer-saw': '201', 'x-handler': '1' } } },
    ],
    counts: { created: 1 },
    log: ['outer saw 403', 'outer saw 403', 'outer saw 403', 'outer saw 403', 'outer saw 403', 'handler', 'outer saw 201'],
  },
  {
    name: 'rbac: an ownership check that throws or rejects denies with the same 403, never a 500, and the handler does not run',
    chain: () => {
      const a = access();
      const throws = a.requireOwnership(() => {
        throw new Error('db down');
      });
      const rejects = a.requireOwnership(() => Promise.reject(new Error('timeout')), { name: 'ownership-async' });
      return [asUser, (ctx, next) => (ctx.req.header('x-fail') === 'throw' ? throws : rejects)(ctx, next)];
    },
    exchanges: [
      { path: '/text', request: { headers: { 'x-as': 'admin', 'x-fail': 'throw' } }, expect: { status: 403, headers: { 'www-authenticate': ROLE_CHALLENGE }, problem: FORBIDDEN } },
      { path: '/text', request: { headers: { 'x-as': 'admin', 'x-fail': 'reject' } }, expect: { status: 403, headers: { 'www-authenticate': ROLE_CHALLENGE }, problem: FORBIDDEN } },
    ],
    counts: {},
  },
  {
    name: 'rbac: ownership allows the owner and the holder of orPermission, and refuses anyone else',
    chain: () => [asUser, access().requireOwnership((ctx, user) => ctx.req.header('x-owner') === user.id, { orPermission: 'users:orders:read' })],
    exchanges: [
      { path: '/text', request: { headers: { 'x-as': 'viewer', 'x-owner': 'viewer-1' } }, expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', request: { headers: { 'x-as': 'viewer', 'x-owner': 'editor-1' } }, expect: { status: 403, headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="users:orders:read"' }, problem: FORBIDDEN } },
      { path: '/text', request: { headers: { 'x-as': 'admin', 'x-owner': 'editor-1' } }, expect: { status: 200, text: TEXT_BODY } },
    ],
    counts: { text: 2 },
  },
  {
    name: 'rbac: a handler error after an allowed check still reaches the framework (rbac does not swallow it)',
    chain: () => [asUser, access().requireRole('viewer')],
    exchanges: [{ path: '/throw', request: as('viewer'), expect: { status: 500, unhandled: true } }],
    counts: { throwSync: 1 },
  },
  {
    name: 'rbac after jwtAuth: the token’s roles decide; a token without the role is 403, no token is jwtAuth’s 401',
    chain: () => [jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, registry: new Registry() }), access().requirePermission('articles:write')],
    exchanges: [
      { path: '/text', request: { headers: { authorization: `Bearer ${handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims({ sub: 'alice', roles: ['admin'] }))}` } }, expect: { status: 200, text: TEXT_BODY } },
      {
        path: '/text',
        request: { headers: { authorization: `Bearer ${handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims({ sub: 'bob', roles: ['viewer'] }))}` } },
        expect: { status: 403, headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="articles:write"' }, problem: FORBIDDEN },
      },
      { path: '/text', expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, problem: MISSING } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rbac: unknown and other-case role names in the token grant nothing',
    group: 'security',
    chain: () => [asUser, access().requireRole('viewer')],
    exchanges: [
      { path: '/text', request: as('superuser'), expect: { status: 403, headers: { 'www-authenticate': ROLE_CHALLENGE }, problem: FORBIDDEN } },
      { path: '/text', request: as('__proto__'), expect: { status: 401, problem: MISSING } },
    ],
    counts: {},
  },
];
