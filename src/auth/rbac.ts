/**
 * `rbac(policy)`: authorization checks as middleware, after `jwtAuth()`.
 * Deny by default — a user is allowed only what a role of theirs (with
 * its juniors) or a permission of their token grants; unknown role names
 * grant nothing. Each check answers 401 when there is no user (never 403
 * for a missing token), 403 `FORBIDDEN` with the RFC 6750
 * `insufficient_scope` challenge when the user may not, and counts and logs
 * every decision (who, what, allowed) for the audit trail. A check that
 * fails (an ownership function that throws) denies.
 *
 * The policy is compiled once; nothing about a user is cached: each
 * request is decided from the `ctx.state.user` it carries.
 */
import { type Context, HttpError, type Middleware, type Next, defineMiddleware, describeValue, markFactory } from '@ward/core';
import { defaultLogger } from '@ward/logger';
import { type WardMetricsOptions, resolveMetricsOptions } from '@ward/metrics';
import { type AuthzOutcome, decisionCounters } from './authz-metrics.js';
import { bearerChallenge, realmOf, unauthorizedAnswers } from './challenge.js';
import { type Wanted, tokenGrantCovers, wantedOf } from './permissions.js';
import { type CompiledRole, type RoleDefinition, compileRoles } from './roles.js';
import type { AuthUser } from './user.js';

/** Where decisions are logged: any pino-compatible logger (`error` is optional; `warn` is used without it). */
export interface AuthzLogger {
  info(record: object, message?: string): unknown;
  warn(record: object, message?: string): unknown;
  error?(record: object, message?: string): unknown;
}

/** One decision, as logged and given to `onDecision`. Never a token or a claim. */
export interface AuthzDecision {
  /** `'authz'`, to tell these records from access and audit lines. */
  readonly log: 'authz';
  /** The check's name, from the configuration: `authenticated`, `role:admin|editor`, `roles:a&b`, `permission:orders:read`, `ownership`… */
  readonly check: string;
  readonly decision: AuthzOutcome;
  /** True only for `allowed`. */
  readonly allowed: boolean;
  /** `ctx.state.user.id`, or `null` when there was no user. */
  readonly user_id: string | null;
  /** The roles or permissions the check wanted (empty for `requireUser` and an ownership check alone). */
  readonly required: readonly string[];
  readonly method: string;
  readonly path: string;
  /** The matched route template, where the stack knows it. */
  readonly route: string | null;
  /** `ctx.state.requestId`, when `@ward/request-id` (or another) set one. */
  readonly request_id: string | null;
  /** Only for `error`: what the check threw, by name and `code` (no message: it may carry data). */
  readonly error?: { readonly name: string; readonly code: string | null };
}

/** The policy and options of {@link rbac}. */
export interface RbacOptions extends WardMetricsOptions {
  /**
   * Role name → `{ permissions?, inherits? }`. Required; `{}` when only the
   * tokens' own permissions are used. Names are case-sensitive, 1 to 128
   * characters without whitespace, quotes, backslash, `|`, `&` or `*`.
   */
  roles: Readonly<Record<string, RoleDefinition>>;
  /**
   * Whether wildcards in a token's own permissions (`permissions` claim,
   * `scope`) are honoured — `orders:*` in a token granting `orders:refund`.
   * Default: `false`: a token's permissions match exactly (OAuth scopes
   * are opaque strings, RFC 6749 §3.3); wildcards belong in `roles`.
   */
  tokenWildcards?: boolean;
  /** The `realm` of the `WWW-Authenticate` challenges: printable ASCII without quotes or backslashes. Default: `'api'`. */
  realm?: string;
  /**
   * Where each decision is logged: allowed at `info`, denied and
   * unauthenticated at `warn`, a failing check at `error`. A logger that
   * throws is ignored. Default: @ward/logger's shared JSON-lines logger on
   * stdout (the one `auditLog()` uses); `false`: none.
   */
  logger?: AuthzLogger | false;
  /**
   * Log allowed decisions too. `false` logs only refusals and failures (the
   * events OWASP's logging cheat sheet asks for), for hot routes whose
   * access log already says who was served; allowed decisions are still
   * counted and given to `onDecision`. Default: `true`.
   */
  logAllowed?: boolean;
  /** Called with each decision, after logging; what it throws is ignored. Default: none. */
  onDecision?: (decision: AuthzDecision) => void;
}

/** Does `user` own what this request acts on? A throw or rejection denies. */
export type OwnershipCheck = (ctx: Context, user: AuthUser) => boolean | Promise<boolean>;

/** Options of {@link Rbac.requireOwnership}. */
export interface OwnershipOptions {
  /** A permission that allows without ownership (support staff: `orders:read:any`); checked first, so `owns` does not run for them. Default: none. */
  orPermission?: string;
  /** The check's name in metrics and logs: letters, digits and `:_.-`, 1 to 64. Default: `'ownership'`. */
  name?: string;
}

/** The checks of one policy. Each factory validates its arguments at once and returns a named middleware. */
export interface Rbac {
  /** Any authenticated user: 401 without one. */
  requireUser(): Middleware;
  /** A user with at least one of `roles` (directly or through a senior role). Each must be a role of the policy. */
  requireRole(...roles: string[]): Middleware;
  /** A user with every one of `roles` (directly or through senior roles). */
  requireAllRoles(...roles: string[]): Middleware;
  /** A user granted every one of `permissions` (no wildcards in a requirement). */
  requirePermission(...permissions: string[]): Middleware;
  /** A user granted at least one of `permissions`. */
  requireAnyPermission(...permissions: string[]): Middleware;
  /** A user for whom `owns(ctx, user)` is `true` (exactly) — or who holds `options.orPermission`. */
  requireOwnership(owns: OwnershipCheck, options?: OwnershipOptions): Middleware;
  /** True when `user` is granted `permission`. False for no user, and for a permission that is malformed or contains `*`. */
  can(user: AuthUser | undefined, permission: string): boolean;
  /** True when `user` has `role` directly or through a senior role. */
  hasRole(user: AuthUser | undefined, role: string): boolean;
}

const WHERE = 'rbac(options)';
const KNOWN = new Set(['roles', 'tokenWildcards', 'realm', 'logger', 'logAllowed', 'onDecision', 'registry', 'prefix']);
const CHECK_NAME = /^[A-Za-z0-9:_.-]{1,64}$/;
const FORBIDDEN_DETAIL = 'You are not allowed to do this';

/**
 * Compiles a role policy and returns its checks.
 *
 * @example
 * const access = rbac({
 *   roles: {
 *     admin: { inherits: ['editor'], permissions: ['users:*'] },
 *     editor: { inherits: ['viewer'], permissions: ['articles:write'] },
 *     viewer: { permissions: ['articles:read'] },
 *   },
 * });
 * engine.get('/articles', jwtAuth(auth), access.requirePermission('articles:read'), list);
 * engine.delete('/users/:id', jwtAuth(auth), access.requireRole('admin'), remove);
 */
export function rbac(options: RbacOptions): Rbac {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${WHERE} needs { roles: { … } }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!KNOWN.has(name)) throw new TypeError(`${WHERE}: unknown option "${name}" (known: ${[...KNOWN].join(', ')})`);
  if (options.roles === undefined) throw new TypeError(`${WHERE}.roles is required: { admin: { inherits: ['user'] }, user: { permissions: ['profile:read'] } }, or {} for token permissions only`);
  const roles = compileRoles(options.roles, WHERE);
  const tokenWildcards = options.tokenWildcards ?? false;
  if (typeof tokenWildcards !== 'boolean') throw new TypeError(`${WHERE}.tokenWildcards must be a boolean, got ${describeValue(tokenWildcards)}`);
  const realm = realmOf(options.realm, WHERE);
  const missing = unauthorizedAnswers(realm).TOKEN_MISSING;
  const logger = options.logger === false ? undefined : (options.logger ?? defaultLogger());
  if (logger !== undefined && (typeof logger !== 'object' || typeof logger.info !== 'function' || typeof logger.warn !== 'function')) {
    throw new TypeError(`${WHERE}.logger must be a pino-compatible logger (info, warn) or false, got ${describeValue(logger)}`);
  }
  const logAllowed = options.logAllowed ?? true;
  if (typeof logAllowed !== 'boolean') throw new TypeError(`${WHERE}.logAllowed must be a boolean, got ${describeValue(logAllowed)}`);
  const onDecision = options.onDecision;
  if (onDecision !== undefined && typeof onDecision !== 'function') throw new TypeError(`${WHERE}.onDecision must be a function, got ${describeValue(onDecision)}`);
  const metrics = resolveMetricsOptions({ registry: options.registry, prefix: options.prefix }, `${WHERE} metrics`);

  /** The compiled role of a name the token asserts; unknown names (and non-strings) are nothing. */
  const roleOf = (name: unknown): CompiledRole | undefined => (typeof name === 'string' ? roles.get(name) : undefined);
  /** The user's role names — only a real array counts (a string is not iterated letter by letter). */
  const namesOf = (list: unknown): readonly unknown[] => (Array.isArray(list) ? list : []);

  function granted(user: AuthUser, wanted: Wanted): boolean {
    for (const name of namesOf(user.roles)) if (roleOf(name)?.permissions.has(wanted) === true) return true;
    for (const grant of namesOf(user.permissions)) if (tokenGrantCovers(grant, wanted, tokenWildcards)) return true;
    return false;
  }

  function hasRole(user: AuthUser | undefined, role: string): boolean {
    if (user === undefined || user === null) return false;
    for (const name of namesOf(user.roles)) if (roleOf(name)?.roles.has(role) === true) return true;
    return false;
  }

  function can(user: AuthUser | undefined, permission: string): boolean {
    if (user === undefined || user === null) return false;
    let wanted: Wanted;
    try {
      wanted = wantedOf(permission, 'can(user, permission)');
    } catch {
      return false;
    }
    return granted(user, wanted);
  }

  function roleList(list: unknown[], where: string): readonly string[] {
    if (list.length === 0) throw new TypeError(`${where} needs at least one role (known: ${[...roles.keys()].join(', ') || 'none'})`);
    for (const role of list) {
      if (typeof role !== 'string' || !roles.has(role)) throw new RangeError(`${where}: unknown role ${describeValue(role)} (known: ${[...roles.keys()].join(', ') || 'none'}; names are case-sensitive)`);
    }
    return Object.freeze([...new Set(list as string[])]);
  }
  function permissionList(list: unknown[], where: string): readonly Wanted[] {
    if (list.length === 0) throw new TypeError(`${where} needs at least one permission such as 'orders:read'`);
    const seen = new Map<string, Wanted>();
    list.forEach((p, i) => {
      const wanted = wantedOf(p, `${where}[${i}]`);
      seen.set(wanted.name, wanted);
    });
    return Object.freeze([...seen.values()]);
  }

  /** One check: its middleware name, its metric/log name, what it requires, the challenge's scope, and the test. */
  function check(name: string, label: string, required: readonly string[], scope: string | undefined, test: (ctx: Context, user: AuthUser) => boolean | Promise<boolean>): Middleware {
    const count = decisionCounters(metrics.registry, metrics.prefix, label);
    // RFC 6750 §3.1: insufficient_scope, with the scope needed when it is a permission.
    const challenge = bearerChallenge(realm, 'insufficient_scope', scope);
    const forbidden = (): HttpError => new HttpError(403, { code: 'FORBIDDEN', detail: FORBIDDEN_DETAIL, headers: { 'www-authenticate': challenge, 'cache-control': 'no-store' } });

    function decide(ctx: Context, user: AuthUser | undefined, outcome: AuthzOutcome, error?: unknown): void {
      count[outcome].inc();
      if ((logger === undefined || (outcome === 'allowed' && !logAllowed)) && onDecision === undefined) return;
      const decision: AuthzDecision = {
        log: 'authz',
        check: label,
        decision: outcome,
        allowed: outcome === 'allowed',
        user_id: typeof user?.id === 'string' ? user.id : null,
        required,
        method: ctx.req.method,
        path: ctx.req.path,
        route: ctx.req.route ?? null,
        request_id: ctx.state.requestId ?? null,
        ...(outcome === 'error' ? { error: summary(error) } : {}),
      };
      // OWASP Logging CS: a failing sink must not change the answer (no 500, no allow).
      try {
        if (outcome === 'allowed') {
          if (logAllowed) logger?.info(decision, 'authorization allowed');
        } else if (outcome === 'error') (logger?.error ?? logger?.warn)?.call(logger, decision, 'authorization check failed; denied');
        else logger?.warn(decision, `authorization ${outcome}`);
      } catch {
        // ignored: see above
      }
      try {
        onDecision?.(decision);
      } catch {
        // ignored: a hook cannot turn a decision into a 500
      }
    }

    function settle(ctx: Context, user: AuthUser, next: Next, allowed: unknown): Promise<void> {
      // Only a real `true` allows: a truthy non-boolean (1, 'yes', an object) is a bug, and denies.
      if (allowed === true) {
        decide(ctx, user, 'allowed');
        return next();
      }
      decide(ctx, user, 'denied');
      ctx.problem(forbidden());
      return Promise.resolve();
    }
    function failed(ctx: Context, user: AuthUser, error: unknown): void {
      // OWASP Authorization CS "Exit safely": a check that fails denies, with the same 403 as a refusal.
      decide(ctx, user, 'error', error);
      ctx.problem(forbidden());
    }

    return defineMiddleware(name, { check: label, required }, function authorize(ctx: Context, next: Next): Promise<void> {
      const user = ctx.state.user;
      if (user === undefined || user === null) {
        // RFC 6750 §3.1 / RFC 9110 §15.5.2: no credentials is 401 with a plain challenge, never 403.
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
      if (typeof (verdict as { then?: unknown } | null)?.then !== 'function') return settle(ctx, user, next, verdict);
      return Promise.resolve(verdict).then(
        (allowed) => settle(ctx, user, next, allowed),
        (error: unknown) => failed(ctx, user, error),
      );
    });
  }

  return {
    requireUser: () => check('requireUser', 'authenticated', Object.freeze([]), undefined, () => true),
    requireRole(...wanted) {
      const list = roleList(wanted, 'requireRole(...roles)');
      return check('requireRole', `role:${list.join('|')}`, list, undefined, (_ctx, user) => list.some((role) => hasRole(user, role)));
    },
    requireAllRoles(...wanted) {
      const list = roleList(wanted, 'requireAllRoles(...roles)');
      return check('requireAllRoles', `roles:${list.join('&')}`, list, undefined, (_ctx, user) => list.every((role) => hasRole(user, role)));
    },
    requirePermission(...wanted) {
      const list = permissionList(wanted, 'requirePermission(...permissions)');
      const names = Object.freeze(list.map((p) => p.name));
      return check('requirePermission', `permission:${names.join('&')}`, names, names.join(' '), (_ctx, user) => list.every((p) => granted(user, p)));
    },
    requireAnyPermission(...wanted) {
      const list = permissionList(wanted, 'requireAnyPermission(...permissions)');
      const names = Object.freeze(list.map((p) => p.name));
      return check('requireAnyPermission', `permission:${names.join('|')}`, names, names.join(' '), (_ctx, user) => list.some((p) => granted(user, p)));
    },
    requireOwnership(owns, ownership = {}) {
      if (typeof owns !== 'function') throw new TypeError(`requireOwnership(owns) needs (ctx, user) => boolean | Promise<boolean>, got ${describeValue(owns)}`);
      if (typeof ownership !== 'object' || ownership === null) throw new TypeError(`requireOwnership(owns, options) needs an options object, got ${describeValue(ownership)}`);
      for (const key of Object.keys(ownership)) if (key !== 'orPermission' && key !== 'name') throw new TypeError(`requireOwnership(owns, options): unknown option "${key}" (known: orPermission, name)`);
      const or = ownership.orPermission === undefined ? undefined : wantedOf(ownership.orPermission, 'requireOwnership(owns, { orPermission })');
      const name = ownership.name ?? 'ownership';
      if (typeof name !== 'string' || !CHECK_NAME.test(name)) throw new TypeError(`requireOwnership(owns, { name }) must be 1 to 64 letters, digits or :_.-, got ${describeValue(name)}`);
      const required = Object.freeze(or === undefined ? [] : [or.name]);
      return check('requireOwnership', name, required, or?.name, (ctx, user) => (or !== undefined && granted(user, or)) || owns(ctx, user));
    },
    can,
    hasRole,
  };
}
markFactory(rbac as never);

/** What a failing check threw, as @ward/logger summarises errors: name and code, no message. */
function summary(error: unknown): { name: string; code: string | null } {
  if (typeof error !== 'object' || error === null) return { name: error === null ? 'null' : typeof error, code: null };
  const { name, code } = error as { name?: unknown; code?: unknown };
  return { name: typeof name === 'string' ? name : 'Object', code: typeof code === 'string' ? code : null };
}
