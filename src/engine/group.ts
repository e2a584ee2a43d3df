/**
 * Route groups, Gin-style: a prefix and middleware shared by the routes
 * under it, nesting freely. Each route's chain (its groups' middleware, outer
 * first, then its handlers) is composed once when it is registered, and
 * again whenever one of its groups gains middleware, so a request does no
 * composition work and a group's middleware applies to all its routes
 * whatever the order of the calls.
 */
import { assertMiddleware, compose, type ComposedMiddleware, type Middleware } from '@ward/core';
import type { EngineContext, MatchedRoute } from './context.js';
import { checkPrefix } from './path.js';
import { Router } from './router.js';

/** A route handler or group middleware: a ward middleware that sees the engine's context. */
export type Handler = Middleware<EngineContext>;

/** The methods `all()` registers. TRACE and CONNECT are left out on purpose (cross-site tracing; tunnels). */
export const ALL_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A registered route. @internal */
export interface RouteEntry extends MatchedRoute {
  readonly method: string;
  readonly template: string;
  readonly handlers: readonly Handler[];
  run: ComposedMiddleware<EngineContext>;
}

/** What the groups of one engine share. @internal */
export class RouteRegistry {
  readonly router = new Router<RouteEntry>();
}

/**
 * A set of routes under one prefix with shared middleware. Made by
 * `engine.group()` or `group.group()`.
 *
 * @example
 * const api = engine.group('/api/v1', auth());
 * const admin = api.group('/admin', requireRole('admin'));
 * admin.delete('/users/:id', deleteUser); // DELETE /api/v1/admin/users/:id: global → auth → requireRole → deleteUser
 */
export class RouterGroup {
  /** The full prefix of this group's routes (`''` for the engine). */
  readonly prefix: string;
  readonly #registry: RouteRegistry;
  readonly #parent: RouterGroup | undefined;
  readonly #middleware: Handler[] = [];
  readonly #routes: RouteEntry[] = [];
  readonly #children: RouterGroup[] = [];

  /** @internal groups are made with `engine.group()`. */
  constructor(registry: RouteRegistry, prefix: string, parent: RouterGroup | undefined) {
    if (!(registry instanceof RouteRegistry)) {
      throw new TypeError('RouterGroup is made with engine.group(prefix, ...middleware), not with new');
    }
    this.#registry = registry;
    this.prefix = prefix;
    this.#parent = parent;
  }

  /**
   * Adds middleware that runs, in the order added, before the handlers of
   * every route of this group and its subgroups (including routes added
   * earlier).
   */
  use(...middleware: Handler[]): this {
    middleware.forEach((fn, i) => assertMiddleware(fn, `use(): middleware[${i}]`));
    this.#middleware.push(...middleware);
    this.#recompose();
    return this;
  }

  /**
   * A subgroup: its prefix is appended to this one's (`''` for none; else
   * starting with `/`, not ending with one), its middleware runs after this
   * group's.
   */
  group(prefix: string, ...middleware: Handler[]): RouterGroup {
    checkPrefix(prefix);
    const child = new RouterGroup(this.#registry, this.prefix + prefix, this);
    child.use(...middleware);
    this.#children.push(child);
    return child;
  }

  /**
   * Registers a route for any method token (`PROPFIND` too). `path` starts
   * with `/`, or is `''` for the group's prefix itself. Throws at once for
   * a bad path, a duplicate or a conflicting route.
   */
  handle(method: string, path: string, ...handlers: Handler[]): this {
    if (typeof path !== 'string') {
      throw new TypeError(`${describeCall(method)}: path must be a string, got ${path === null ? 'null' : typeof path}`);
    }
    if (path === '' && this.prefix === '') {
      throw new RangeError(`${describeCall(method)}: path "" is only allowed inside a group with a prefix; use "/"`);
    }
    if (path !== '' && path.charCodeAt(0) !== 47) {
      throw new RangeError(`${describeCall(method)}: path ${JSON.stringify(path)} must start with "/" (e.g. "/${path}")`);
    }
    const template = this.prefix + path;
    if (handlers.length === 0) {
      throw new TypeError(`${describeCall(method)} ${template} needs at least one handler (ctx, next) => …`);
    }
    handlers.forEach((fn, i) => assertMiddleware(fn, `${describeCall(method)} ${template}: handler[${i}]`));
    const entry: RouteEntry = { method, template, handlers: handlers.slice(), run: compose(this.#chainFor(handlers)) };
    this.#registry.router.add(method, template, entry);
    this.#routes.push(entry);
    return this;
  }

  /** `GET path`; also answers HEAD when there is no explicit HEAD route. */
  get(path: string, ...handlers: Handler[]): this {
    return this.handle('GET', path, ...handlers);
  }

  post(path: string, ...handlers: Handler[]): this {
    return this.handle('POST', path, ...handlers);
  }

  put(path: string, ...handlers: Handler[]): this {
    return this.handle('PUT', path, ...handlers);
  }

  patch(path: string, ...handlers: Handler[]): this {
    return this.handle('PATCH', path, ...handlers);
  }

  delete(path: string, ...handlers: Handler[]): this {
    return this.handle('DELETE', path, ...handlers);
  }

  options(path: string, ...handlers: Handler[]): this {
    return this.handle('OPTIONS', path, ...handlers);
  }

  head(path: string, ...handlers: Handler[]): this {
    return this.handle('HEAD', path, ...handlers);
  }

  /** The same route for GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS. */
  all(path: string, ...handlers: Handler[]): this {
    for (const method of ALL_METHODS) this.handle(method, path, ...handlers);
    return this;
  }

  /** This group's middleware and its ancestors', outermost first, then `handlers`. */
  #chainFor(handlers: readonly Handler[]): Handler[] {
    const chain: Handler[] = [];
    for (let group: RouterGroup | undefined = this; group !== undefined; group = group.#parent) {
      chain.unshift(...group.#middleware);
    }
    chain.push(...handlers);
    return chain;
  }

  #recompose(): void {
    for (const entry of this.#routes) entry.run = compose(this.#chainFor(entry.handlers));
    for (const child of this.#children) child.#recompose();
  }
}

function describeCall(method: string): string {
  return `route ${typeof method === 'string' ? method : String(method)}`;
}
