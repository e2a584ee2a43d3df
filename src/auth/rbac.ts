/**
 * `rbac(policy)`: authorization checks as middleware, after `jwtAuth()`.
 * Deny by default — a user is allowed only what a role of theirs (with
 * its juniors) or a permission of their token grants; unknown role names
 * grant nothing. Each check answers 401 when there is no user (never 403
 * for a missing token), 403 `FORBIDDEN` with the RFC 6750
 * `insufficient_scope` challenge when the user may not, and counts and logs
 * every decision (who, what, allowed) for the audit trail. A check that
 * fails (an ownership function that throws) denies.
 */
import { type Context, HttpError, type Middleware, type Next, defineMiddleware, describeValue, markFactory } from '@ward/core';
import { defaultLogger } from '@ward/logger';
import { resolveMetricsOptions, type WardMetricsOptions } from '@ward/metrics';
import { type AuthzOutcome, decisionCounters } from './authz-metrics.js';
import { bearerChallenge, realmOf, unauthorizedAnswers } from './challenge.js';
import { PermissionSet, permissionOf } from './permissions.js';
import { type CompiledRole, type RoleDefinition, compileRoles } from './roles.js';
import type { AuthUser } from './user.js';

/** Where decisions are logged: any pino-compatible logger. */
export interface AuthzLogger {
  info(record: object, message?: string): unknown;
  warn(record: object, message?: string): unknown;
  error(record: object, message?: string): unknown;
}

/** One decision, as logged and given to `onDecision`. Never a token. */
export interface AuthzDecision {
  readonly log: 'authz';
  /** The check's name: `authenticated`, `role:admin`, `permission:orders:read`, `ownership`… */
  readonly check: string;
  readonly decision: AuthzOutcome;
  readonly allowed: boolean;
  readonly user_id: string | null;
  /** The roles or permissions the check wanted. */
  readonly required: readonly string[];
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly request_id: string | null;
}

/** The policy and options of {@link rbac}. */
export interface RbacOptions extends WardMetricsOptions {
  /** Role name → `{ permissions?, inherits? }`. Required (may be `{}` when only token permissions are used). */
  roles: Readonly<Record<string, RoleDefinition>>;
  /** The challenge's realm. Default: `'api'`. */
  realm?: string;
  /** Where each decision is logged (allowed at `info`, denied at `warn`, errors at `error`). Default: @ward/logger's JSON lines on stdout; `false`: none. */
  logger?: AuthzLogger | false;
  /** Called with each decision (after logging). Default: none. */
  onDecision?: (decision: AuthzDecision) => void;
}

/** An ownership test: does `user` own what this request acts on? */
export type OwnershipCheck = (ctx: Context, user: AuthUser) => boolean | Promise<boolean>;

/** The checks of one policy. */
export interface Rbac {
  /** Any authenticated user. */
  requireUser(): Middleware;
  /** A user with at least one of `roles` (directly or as a senior role). */
  requireRole(...roles: string[]): Middleware;
  /** A user with every one of `roles`. */
  requireAllRoles(...roles: string[]): Middleware;
  /** A user granted every one of `permissions`. */
  requirePermission(...permissions: string[]): Middleware;
  /** A user granted at least one of `permissions`. */
  requireAnyPermission(...permissions: string[]): Middleware;
  /**
   * A user for whom `owns(ctx, user)` is true — or who holds `options.bypass`
   * (e.g. `orders:read:any` for support staff). A throwing or rejecting
   * `owns` denies.
   */
  requireOwnership(owns: OwnershipCheck, options?: { bypass?: string; name?: string }): Middleware;
  /** True when `user` is granted `permission`. */
  can(user: AuthUser | undefined, permission: string): boolean;
  /** True when `user` has `role` (directly or as a senior role). */
  hasRole(user: AuthUser | undefined, role: string): boolean;
}

const WHERE = 'rbac(options)';
const KNOWN = new Set(['roles', 'realm', 'logger', 'onDecision', 'registry', 'prefix']);

/**
 * @example
 * const access = rbac({ roles: { admin: { inherits: ['user'], permissions: ['admin:*'] }, user: { permissions: ['profile:read', 'profile:write'] } } });
 * engine.group('/admin', jwtAuth(options), access.requireRole('admin'));
 */
export function rbac(options: RbacOptions): Rbac {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE} needs { roles: { … } }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${WHERE}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  const roles = compileRoles(options.roles, WHERE);
  const realm = realmOf(options.realm, WHERE);
  const missing = unauthorizedAnswers(realm).TOKEN_MISSING;
  const logger = options.logger === false ? undefined : (options.logger ?? defaultLogger());
  if (logger !== undefined && (typeof logger.info !== 'function' || typeof logger.warn !== 'function' || typeof logger.error !== 'function')) throw new TypeError(`${WHERE}.logger must be pino-compatible (info, warn, error) or false, got ${describeValue(logger)}`);
  const onDecision = options.onDecision;
  if (onDecision !== undefined && typeof onDecision !== 'function') throw new TypeError(`${WHERE}.onDecision must be a function, got ${describeValue(onDecision)}`);
  const metrics = resolveMetricsOptions({ registry: options.registry, prefix: options.prefix }, `${WHERE} metrics`);

  /** The compiled roles a user holds (unknown names skipped: they grant nothing). */
  function held(user: AuthUser): CompiledRole[] {
    const list: CompiledRole[] = [];
    for (const name of user.roles) {
      const role = roles.get(name);
      if (role !== undefined) list.push(role);
    }
    return list;
  }

  function can(user: AuthUser | undefined, permission: string): boolean {
    if (user === undefined) return false;
    for (const role of held(user)) if (role.permissions.has(permission)) return true;
    return user.permissions.length > 0 && new PermissionSet(user.permissions.filter(isGrant)).has(permission);
  }

  function hasRole(user: AuthUser | undefined, role: string): boolean {
    if (user === undefined) return false;
    for (const r of held(user)) if (r.roles.has(role)) return true;
    return false;
  }

  function knownRoles(list: string[], where: string): string[] {
    if (list.length === 0) throw new TypeError(`${where} needs at least one role`);
    for (const role of list) if (typeof role !== 'string' || !roles.has(role)) throw new RangeError(`${where}: unknown role ${describeValue(role)} (known: ${[...roles.keys()].join(', ')})`);
    return list;
  }
  function permissionList(list: string[], where: string): string[] {
    if (list.length === 0) throw new TypeError(`${where} needs at least one permission`);
    return list.map((p, i) => permissionOf(p, `${where}[${i}]`, false));
  }

  /** One check: its name, what it requires, and the test. */
  function check(name: string, check: string, required: readonly string[], scope: string | undefined, test: (ctx: Context, user: AuthUser) => boolean | Promise<boolean>): Middleware {
    const count = decisionCounters(metrics.registry, metrics.prefix, check);
    const challenge = bearerChallenge(realm, 'insufficient_scope', scope);
    const forbidden = (): HttpError =>
      new HttpError(403, { code: 'FORBIDDEN', detail: 'You are not allowed to do this', headers: { 'www-authenticate': challenge, 'cache-control': 'no-store' } });

    function decide(ctx: Context, user: AuthUser | undefined, outcome: AuthzOutcome, error?: unknown): void {
      count[outcome].inc();
      if (logger === undefined && onDecision === undefined) return;
      const decision: AuthzDecision = {
        log: 'authz',
        check,
        decision: outcome,
        allowed: outcome === 'allowed',
        user_id: user?.id ?? null,
        required,
        method: ctx.req.method,
        path: ctx.req.path,
        route: ctx.req.route ?? null,
        request_id: ctx.state.requestId ?? null,
      };
      try {
        if (outcome === 'allowed') logger?.info(decision, 'authorization allowed');
        else if (outcome === 'error') logger?.error({ ...decision, error: error instanceof Error ? error.name : typeof error }, 'authorization check failed; denied');
        else logger?.warn(decision, `authorization ${outcome}`);
        onDecision?.(decision);
      } catch {
        // A broken logger must not turn a decision into a 500.
      }
    }

    const settle = (ctx: Context, user: AuthUser, next: Next, allowed: boolean): Promise<void> => {
      if (allowed === true) {
        decide(ctx, user, 'allowed');
        return next();
      }
      decide(ctx, user, 'denied');
      ctx.problem(forbidden());
      return Promise.resolve();
    };
    const failed = (ctx: Context, user: AuthUser, error: unknown): void => {
      decide(ctx, user, 'error', error);
      ctx.problem(forbidden());
    };

    return defineMiddleware(name, { check, required }, function authorize(ctx: Context, next: Next): Promise<void> {
      const user = ctx.state.user;
      if (user === undefined) {
        decide(ctx, undefined, 'unauthenticated');
        ctx.problem(missing());
        return Promise.resolve();
      }
      let verdict: boolean | Promise<boolean>;
      try {
        verdict = test(ctx, user);
      } catch (error) {
        failed(ctx, user, error);
        return Promise.resolve();
      }
      if (typeof verdict === 'boolean') return settle(ctx, user, next, verdict);
      return Promise.resolve(verdict).then(
        (allowed) => settle(ctx, user, next, allowed === true),
        (error: unknown) => failed(ctx, user, error),
      );
    });
  }

  return {
    requireUser: () => check('requireUser', 'authenticated', [], undefined, () => true),
    requireRole(...wanted) {
      const list = knownRoles(wanted, 'requireRole(...roles)');
      return check('requireRole', `role:${list.join('|')}`, list, undefined, (_ctx, user) => list.some((role) => hasRole(user, role)));
    },
    requireAllRoles(...wanted) {
      const list = knownRoles(wanted, 'requireAllRoles(...roles)');
      return check('requireAllRoles', `roles:${list.join('&')}`, list, undefined, (_ctx, user) => list.every((role) => hasRole(user, role)));
    },
    requirePermission(...wanted) {
      const list = permissionList(wanted, 'requirePermission(...permissions)');
      return check('requirePermission', `permission:${list.join('&')}`, list, list.join(' '), (_ctx, user) => list.every((p) => can(user, p)));
    },
    requireAnyPermission(...wanted) {
      const list = permissionList(wanted, 'requireAnyPermission(...permissions)');
      return check('requireAnyPermission', `permission:${list.join('|')}`, list, list.join(' '), (_ctx, user) => list.some((p) => can(user, p)));
    },
    requireOwnership(owns, ownership = {}) {
      if (typeof owns !== 'function') throw new TypeError(`requireOwnership(owns) needs (ctx, user) => boolean | Promise<boolean>, got ${describeValue(owns)}`);
      const bypass = ownership.bypass === undefined ? undefined : permissionOf(ownership.bypass, 'requireOwnership({ bypass })', false);
      const name = ownership.name ?? 'ownership';
      if (typeof name !== 'string' || !/^[A-Za-z0-9:_.-]{1,64}$/.test(name)) throw new TypeError(`requireOwnership({ name }) must be a short label, got ${describeValue(name)}`);
      return check('requireOwnership', name, bypass === undefined ? [] : [bypass], bypass, (ctx, user) => (bypass !== undefined && can(user, bypass)) || owns(ctx, user));
    },
    can,
    hasRole,
  };
}
markFactory(rbac as never);

/** Token permissions are grants too; a malformed one is ignored rather than trusted. */
function isGrant(value: string): boolean {
  try {
    permissionOf(value, 'permission', true);
    return true;
  } catch {
    return false;
  }
}
