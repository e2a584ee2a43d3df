/**
 * rbac(): the compiled policy, without HTTP — the hierarchy (INCITS 359:
 * seniors acquire juniors), deny by default, whole-segment wildcards and
 * nothing implied by a prefix, case sensitivity, a token's own
 * permissions, configuration errors that name the roles, descriptions, and
 * hostile user shapes. rbac-http.test.ts runs the checks over real HTTP.
 */
import { type Context, assertMiddleware, describeMiddleware } from '@ward/core';
import { type AuthUser, type Rbac, type RbacOptions, rbac } from '@ward/auth';
import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

const ROLES: RbacOptions['roles'] = {
  admin: { inherits: ['editor'], permissions: ['admin:*'] },
  editor: { inherits: ['viewer'], permissions: ['articles:write', 'articles:publish'] },
  viewer: { permissions: ['articles:read', '*:list'] },
  auditor: { permissions: ['logs:read:*'] },
  root: { permissions: ['*'] },
};
const user = (roles: readonly unknown[], permissions: readonly unknown[] = []): AuthUser => ({ id: 'u1', roles, permissions, claims: {} }) as AuthUser;
const policy = (extra: Partial<RbacOptions> = {}): Rbac => rbac({ roles: ROLES, logger: false, registry: new Registry(), ...extra });

describe('rbac: the hierarchy', () => {
  const access = policy();

  it('a senior role acquires every junior permission, transitively (admin ≥ editor ≥ viewer)', () => {
    expect(access.can(user(['admin']), 'articles:read')).toBe(true);
    expect(access.can(user(['admin']), 'articles:publish')).toBe(true);
    expect(access.can(user(['editor']), 'articles:read')).toBe(true);
  });

  it('a junior role does not acquire its seniors’ permissions', () => {
    expect(access.can(user(['viewer']), 'articles:write')).toBe(false);
    expect(access.can(user(['editor']), 'admin:users')).toBe(false);
  });

  it('a senior role counts as each of its juniors for role checks, not the other way round', () => {
    expect(access.hasRole(user(['admin']), 'viewer')).toBe(true);
    expect(access.hasRole(user(['admin']), 'editor')).toBe(true);
    expect(access.hasRole(user(['viewer']), 'editor')).toBe(false);
    expect(access.hasRole(user(['editor']), 'admin')).toBe(false);
    expect(access.hasRole(user(['auditor']), 'viewer')).toBe(false);
  });

  it('a diamond (two seniors sharing a junior) compiles and grants once', () => {
    const diamond = rbac({ roles: { top: { inherits: ['left', 'right'] }, left: { inherits: ['base'] }, right: { inherits: ['base'] }, base: { permissions: ['x:y'] } }, logger: false, registry: new Registry() });
    expect(diamond.can(user(['top']), 'x:y')).toBe(true);
    expect(diamond.hasRole(user(['top']), 'base')).toBe(true);
  });

  it('the union of several roles', () => {
    expect(access.can(user(['viewer', 'auditor']), 'articles:read')).toBe(true);
    expect(access.can(user(['viewer', 'auditor']), 'logs:read:security')).toBe(true);
    expect(access.can(user(['viewer', 'auditor']), 'articles:write')).toBe(false);
  });
});

describe('rbac: deny by default', () => {
  const access = policy();

  it('no user, no roles, unknown roles and other-case roles grant nothing', () => {
    expect(access.can(undefined, 'articles:read')).toBe(false);
    expect(access.hasRole(undefined, 'viewer')).toBe(false);
    for (const roles of [[], ['superuser'], ['Admin'], ['ADMIN'], ['admin '], [' admin'], ['Viewer']]) {
      expect(access.can(user(roles), 'articles:read'), JSON.stringify(roles)).toBe(false);
      expect(access.hasRole(user(roles), 'viewer'), JSON.stringify(roles)).toBe(false);
    }
  });

  it('a permission missing from every role is denied even when a similar one exists (no prefix implication)', () => {
    expect(access.can(user(['viewer']), 'articles:readAll')).toBe(false);
    expect(access.can(user(['viewer']), 'articles:rea')).toBe(false);
    expect(access.can(user(['viewer']), 'articles')).toBe(false);
    expect(access.can(user(['viewer']), 'articles:read:own')).toBe(false);
  });

  it('permissions are case-sensitive', () => {
    expect(access.can(user(['viewer']), 'Articles:read')).toBe(false);
    expect(access.can(user(['viewer']), 'articles:READ')).toBe(false);
    expect(access.can(user(['viewer']), 'articles:read')).toBe(true);
  });

  it('an empty policy grants nothing from roles, only what the token itself carries', () => {
    const empty = rbac({ roles: {}, logger: false, registry: new Registry() });
    expect(empty.can(user(['admin']), 'articles:read')).toBe(false);
    expect(empty.can(user([], ['articles:read']), 'articles:read')).toBe(true);
  });
});

describe('rbac: wildcards as whole segments', () => {
  const access = policy();

  it('a trailing * stands for one or more segments, and never for part of one', () => {
    expect(access.can(user(['admin']), 'admin:stats')).toBe(true);
    expect(access.can(user(['admin']), 'admin:stats:read')).toBe(true);
    expect(access.can(user(['admin']), 'admin')).toBe(false);
    expect(access.can(user(['admin']), 'administrator:stats')).toBe(false);
    expect(access.can(user(['auditor']), 'logs:read')).toBe(false);
    expect(access.can(user(['auditor']), 'logs:read:security')).toBe(true);
  });

  it('an inner * stands for exactly one segment', () => {
    expect(access.can(user(['viewer']), 'orders:list')).toBe(true);
    expect(access.can(user(['viewer']), 'invoices:list')).toBe(true);
    expect(access.can(user(['viewer']), 'orders:list:all')).toBe(false);
    expect(access.can(user(['viewer']), 'list')).toBe(false);
    const inner = rbac({ roles: { r: { permissions: ['orders:*:read'] } }, logger: false, registry: new Registry() });
    expect(inner.can(user(['r']), 'orders:eu:read')).toBe(true);
    expect(inner.can(user(['r']), 'orders:read')).toBe(false);
    expect(inner.can(user(['r']), 'orders:eu:west:read')).toBe(false);
    expect(inner.can(user(['r']), 'orders:eu:write')).toBe(false);
  });

  it('* alone grants every permission', () => {
    expect(access.can(user(['root']), 'anything:at:all')).toBe(true);
    expect(access.can(user(['root']), 'x')).toBe(true);
  });

  it('a requirement is never a wildcard: can() answers false, the check factories refuse it', () => {
    expect(access.can(user(['root']), '*')).toBe(false);
    expect(access.can(user(['admin']), 'admin:*')).toBe(false);
    expect(() => access.requirePermission('articles:*')).toThrow("requirePermission(...permissions)[0]: 'articles:*' — a required permission cannot contain '*'");
    expect(() => access.requireAnyPermission('articles:read', '*')).toThrow(/\[1\]: '\*' — a required permission cannot contain/);
  });
});

describe("rbac: a token's own permissions", () => {
  it('are added to the roles’ permissions, exactly matched by default', () => {
    const access = policy();
    expect(access.can(user([], ['orders:read']), 'orders:read')).toBe(true);
    expect(access.can(user(['viewer'], ['orders:refund']), 'orders:refund')).toBe(true);
    expect(access.can(user(['viewer'], ['orders:refund']), 'articles:read')).toBe(true);
    expect(access.can(user([], ['orders:read']), 'orders:readAll')).toBe(false);
  });

  it('carry no wildcard meaning unless tokenWildcards is on (OAuth scopes are opaque)', () => {
    const exact = policy();
    expect(exact.can(user([], ['orders:*']), 'orders:refund')).toBe(false);
    expect(exact.can(user([], ['*']), 'orders:refund')).toBe(false);
    const wild = policy({ tokenWildcards: true });
    expect(wild.can(user([], ['orders:*']), 'orders:refund')).toBe(true);
    expect(wild.can(user([], ['*:read']), 'orders:read')).toBe(true);
    expect(wild.can(user([], ['*:read']), 'orders:read:own')).toBe(false);
    expect(wild.can(user([], ['*']), 'orders:refund')).toBe(true);
  });

  it('malformed or non-string entries grant nothing, with wildcards on too', () => {
    const wild = policy({ tokenWildcards: true });
    expect(wild.can(user([], ['orders::x', '', 'orders:x ', 'orders:re*']), 'orders:x')).toBe(false);
    expect(wild.can(user([], [null, 42, { toString: () => 'orders:x' }]), 'orders:x')).toBe(false);
  });
});

describe('rbac: configuration is refused with a message naming the roles', () => {
  it.each([
    ['a two-role cycle', { a: { inherits: ['b'] }, b: { inherits: ['a'] } }, 'rbac(options).roles: the hierarchy has a cycle: a → b → a'],
    ['a longer cycle', { a: { inherits: ['b'] }, b: { inherits: ['c'] }, c: { inherits: ['a'] }, d: {} }, 'cycle: a → b → c → a'],
    ['a cycle below an acyclic role', { top: { inherits: ['x'] }, x: { inherits: ['y'] }, y: { inherits: ['x'] } }, 'cycle: x → y → x'],
    ['a self-loop', { a: { inherits: ['a'] } }, 'cycle: a → a'],
    ['an unknown junior', { a: { inherits: ['ghost'] } }, 'rbac(options).roles["a"].inherits names an unknown role "ghost" (known: a)'],
    ['a junior of another case', { admin: { inherits: ['Viewer'] }, viewer: {} }, 'names an unknown role "Viewer" (known: admin, viewer)'],
    ['a bad permission', { a: { permissions: ['orders read'] } }, `rbac(options).roles["a"].permissions[0]: 'orders read' has an empty or invalid segment`],
    ['an empty segment', { a: { permissions: ['orders::read'] } }, 'has an empty or invalid segment'],
    ['a partial wildcard', { a: { permissions: ['orders:re*'] } }, 'has an empty or invalid segment'],
    ['an empty permission', { a: { permissions: [''] } }, "must be a permission such as 'orders:read'"],
    ['permissions as a string', { a: { permissions: 'orders:read' } }, 'rbac(options).roles["a"].permissions must be a list of strings, got "orders:read"'],
    ['inherits as a string', { a: { inherits: 'b' }, b: {} }, 'rbac(options).roles["a"].inherits must be a list of strings'],
    ['an unknown member', { a: { grants: ['x'] } }, 'rbac(options).roles["a"]: unknown member "grants" (known: permissions, inherits)'],
    ['a role that is not an object', { a: true }, 'rbac(options).roles["a"] must be { permissions?, inherits? }, got true'],
    ['a role name with a space', { 'order admin': {} }, 'rbac(options).roles["order admin"]: a role name must be'],
    ['a role name with |', { 'a|b': {} }, 'a role name must be'],
    ['an empty role name', { '': {} }, 'rbac(options).roles[""]: a role name must be'],
    ['roles as a list', ['admin'], 'rbac(options).roles must be an object such as'],
  ])('%s', (_name, roles, message) => {
    expect(() => rbac({ roles: roles as never, logger: false, registry: new Registry() })).toThrow(message);
  });

  it('the options themselves: missing, unknown, wrong types', () => {
    expect(() => rbac(undefined as never)).toThrow('rbac(options) needs { roles: { … } }, got undefined');
    expect(() => rbac({} as never)).toThrow('rbac(options).roles is required');
    expect(() => rbac({ roles: {}, role: {} } as never)).toThrow('rbac(options): unknown option "role" (known: roles, tokenWildcards, realm, logger, logAllowed, onDecision, registry, prefix)');
    expect(() => rbac({ roles: {}, realm: 'a"b' })).toThrow('rbac(options).realm must be printable ASCII without quotes or backslashes, got "a\\"b"');
    expect(() => rbac({ roles: {}, logger: console.log as never })).toThrow('rbac(options).logger must be a pino-compatible logger (info, warn) or false');
    expect(() => rbac({ roles: {}, logger: { info: () => {} } as never })).toThrow('rbac(options).logger must be a pino-compatible logger');
    expect(() => rbac({ roles: {}, logger: false, onDecision: 'log' as never })).toThrow('rbac(options).onDecision must be a function, got "log"');
    expect(() => rbac({ roles: {}, logger: false, tokenWildcards: 'yes' as never })).toThrow('rbac(options).tokenWildcards must be a boolean, got "yes"');
  });

  it('the checks refuse unknown roles, wildcards, empty lists and bad ownership options at once', () => {
    const access = policy();
    expect(() => access.requireRole('admn')).toThrow('requireRole(...roles): unknown role "admn" (known: admin, editor, viewer, auditor, root; names are case-sensitive)');
    expect(() => access.requireAllRoles('admin', 'Admin')).toThrow('requireAllRoles(...roles): unknown role "Admin"');
    expect(() => access.requireRole()).toThrow('requireRole(...roles) needs at least one role');
    expect(() => access.requirePermission()).toThrow("requirePermission(...permissions) needs at least one permission such as 'orders:read'");
    expect(() => access.requirePermission('orders read')).toThrow('has an empty or invalid segment');
    expect(() => access.requireOwnership(undefined as never)).toThrow('requireOwnership(owns) needs (ctx, user) => boolean | Promise<boolean>, got undefined');
    expect(() => access.requireOwnership(() => true, { orPermission: 'orders:*' })).toThrow("a required permission cannot contain '*'");
    expect(() => access.requireOwnership(() => true, { name: 'own orders' })).toThrow('requireOwnership(owns, { name }) must be 1 to 64 letters');
    expect(() => access.requireOwnership(() => true, { bypass: 'x:y' } as never)).toThrow('requireOwnership(owns, options): unknown option "bypass" (known: orPermission, name)');
  });

  it('registering the factory itself instead of a check is caught', () => {
    expect(() => assertMiddleware(rbac, 'app.use(…)')).toThrow('app.use(…) is the factory "rbac", not a middleware. Call it: rbac({ … })');
  });
});

describe('rbac: every check is named and described, JSON-safe', () => {
  const access = policy();
  it.each<[string, () => unknown, object]>([
    ['requireUser', () => access.requireUser(), { name: 'requireUser', options: { check: 'authenticated', required: [] } }],
    ['requireRole', () => access.requireRole('editor', 'admin'), { name: 'requireRole', options: { check: 'role:editor|admin', required: ['editor', 'admin'] } }],
    ['requireAllRoles', () => access.requireAllRoles('editor', 'auditor'), { name: 'requireAllRoles', options: { check: 'roles:editor&auditor', required: ['editor', 'auditor'] } }],
    ['requirePermission', () => access.requirePermission('a:b', 'c:d', 'a:b'), { name: 'requirePermission', options: { check: 'permission:a:b&c:d', required: ['a:b', 'c:d'] } }],
    ['requireAnyPermission', () => access.requireAnyPermission('a:b', 'c:d'), { name: 'requireAnyPermission', options: { check: 'permission:a:b|c:d', required: ['a:b', 'c:d'] } }],
    ['requireOwnership', () => access.requireOwnership(() => true, { orPermission: 'orders:read:any', name: 'own-order' }), { name: 'requireOwnership', options: { check: 'own-order', required: ['orders:read:any'] } }],
  ])('%s', (_name, make, expected) => {
    const description = describeMiddleware(make() as never);
    expect(description).toEqual(expected);
    expect(JSON.parse(JSON.stringify(description))).toEqual(expected);
  });
});

describe('rbac: public types', () => {
  it('checks are middleware; ownership functions get the context and the user', () => {
    const access = policy();
    expectTypeOf(access.requireRole).parameters.toEqualTypeOf<string[]>();
    expectTypeOf(access.can).returns.toEqualTypeOf<boolean>();
    access.requireOwnership(async (ctx: Context, u: AuthUser) => ctx.req.params['id'] === u.id);
    // @ts-expect-error: an ownership check answers a boolean
    access.requireOwnership(() => 'yes');
    // @ts-expect-error: roles is required
    expect(() => rbac({ logger: false })).toThrow();
  });
});

describe('security: rbac against hostile user shapes', () => {
  const access = policy();

  it('a roles value that is a string is not read letter by letter, and grants nothing', () => {
    const letters = rbac({ roles: { a: { permissions: ['x:y'] } }, logger: false, registry: new Registry() });
    expect(letters.can(user('a' as never), 'x:y')).toBe(false);
    expect(letters.hasRole(user('a' as never), 'a')).toBe(false);
    expect(access.can({ id: 'u', roles: 'admin', permissions: 'articles:read', claims: {} } as never, 'articles:read')).toBe(false);
  });

  it('prototype names as roles grant nothing and do not throw', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(access.can(user([name]), 'articles:read'), name).toBe(false);
      expect(access.hasRole(user([name]), 'viewer'), name).toBe(false);
    }
    expect(access.hasRole(user(['admin']), '__proto__')).toBe(false);
  });

  it('look-alike and padded permissions are different permissions', () => {
    // Cyrillic 'а' (U+0430) in place of Latin 'a'; a zero-width space; a trailing NUL.
    for (const p of ['\u0430rticles:read', 'articles:read\u200b', 'articles:read\u0000', 'articles:read ', 'articles: read']) {
      expect(access.can(user(['viewer']), p), JSON.stringify(p)).toBe(false);
    }
  });

  it('huge inputs are refused or denied, not slow or crashing', () => {
    expect(access.can(user(['viewer']), `articles:${'x'.repeat(10_000)}`)).toBe(false);
    const many = Array.from({ length: 10_000 }, (_, i) => `r${i}`);
    const start = performance.now();
    expect(access.can(user(many, many), 'articles:read')).toBe(false);
    expect(performance.now() - start).toBeLessThan(200);
  });
});
