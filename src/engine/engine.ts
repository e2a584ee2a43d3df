/**
 * `Engine`: the Gin-shaped core of ward. Per request it builds one
 * `EngineContext`, matches the route first (so global middleware already
 * see `ctx.req.route`), runs the global middleware with the router as the
 * innermost `next`, and writes the response once with core's
 * `commitContext`. Misses are answered inside the chain, so global
 * middleware (request ids, metrics, security headers) run for 404, 405 and
 * redirects too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  answerUnhandled,
  assertMiddleware,
  commitContext,
  compose,
  type ComposedMiddleware,
  HttpError,
  isServerFault,
} from '@ward/core';
import { EngineContext } from './context.js';
import { type Handler, type RouteEntry, RouteRegistry, RouterGroup } from './group.js';
import { type EngineOptions, type ResolvedEngineOptions, resolveEngineOptions } from './options.js';
import type { Router } from './router.js';
import { type ListenOptions, type ListeningServer, listen } from './server.js';

/** A Location we are willing to send back: printable ASCII, no spaces. */
const SAFE_LOCATION = /^[\x21-\x7e]*$/;

/**
 * The engine: global middleware, route groups, a radix-tree router, 404/405
 * as problem+json, trailing-slash redirects, HEAD from GET, `listen()` with
 * graceful shutdown.
 *
 * @example
 * const engine = new Engine();
 * engine.use(requestId(), securityHeaders());
 * const api = engine.group('/api/v1');
 * api.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') }));
 * const server = await engine.listen({ port: 3000 });
 * process.once('SIGTERM', () => server.shutdown({ timeoutMs: 10_000 }));
 */
export class Engine extends RouterGroup {
  /**
   * The request listener, for `http.createServer(engine.handler)` (or
   * `https`, `http2` in compatibility mode). Bound: pass it as it is.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #options: ResolvedEngineOptions;
  readonly #router: Router<RouteEntry>;
  readonly #global: Handler[] = [];
  #chain: ComposedMiddleware<EngineContext> | undefined = undefined;

  constructor(options?: EngineOptions) {
    const resolved = resolveEngineOptions(options);
    const registry = new RouteRegistry();
    super(registry, '', undefined);
    this.#options = resolved;
    this.#router = registry.router;
    const settings = resolved.settings;
    const engine = this;
    this.handler = function engineHandler(req: IncomingMessage, res: ServerResponse): void {
      const ctx = new EngineContext(req, res, settings);
      engine.#match(ctx);
      void engine.#serve(ctx);
    };
  }

  /**
   * Adds global middleware: it runs, in the order added, for every request —
   * matched routes, 404, 405 and redirects alike — around the router.
   */
  override use(...middleware: Handler[]): this {
    middleware.forEach((fn, i) => assertMiddleware(fn, `engine.use(): middleware[${i}]`));
    this.#global.push(...middleware);
    this.#chain = compose(this.#global);
    return this;
  }

  /** Every registered route, in registration order (`all()` lists each method). */
  routes(): { method: string; path: string }[] {
    return this.#router.routes().map(({ method, template }) => ({ method, path: template }));
  }

  /**
   * Starts an `http.Server` with {@link handler}. Resolves once listening.
   * Default: port 3000 on 127.0.0.1 (pass `host: '0.0.0.0'` in a container).
   */
  listen(options?: ListenOptions): Promise<ListeningServer> {
    return listen(this.handler, options);
  }

  /** Matches before the chain runs, so `ctx.req.route` and params are known to global middleware. */
  #match(ctx: EngineContext): void {
    const req = ctx.req;
    const method = req.method;
    const path = req.path;
    const router = this.#router;
    // RFC 9112 §3.2: a request-target has no fragment; node lets `#` through, and it would end up in a param or the query.
    if (req.url.indexOf('#') !== -1) {
      ctx.matchError = new HttpError(400, { code: 'BAD_REQUEST', detail: 'The request target holds a "#": a fragment is never sent to the server' });
      return;
    }
    let found;
    try {
      found = router.find(method, path);
      // RFC 9110 §9.3.2: HEAD is GET without the content.
      if (found === undefined && method === 'HEAD') found = router.find('GET', path);
    } catch (error) {
      ctx.matchError = error;
      return;
    }
    if (found !== undefined) {
      req.matchedRoute = found.template;
      req.matchedParams = found.params;
      ctx.routeChain = found.value;
    }
  }

  async #serve(ctx: EngineContext): Promise<void> {
    try {
      const chain = this.#chain;
      if (chain !== undefined) {
        await chain(ctx, () => this.#dispatch(ctx));
      } else if (ctx.routeChain !== undefined) {
        // No global middleware: the innermost step inline, one async frame less per request.
        await ctx.routeChain.run(ctx);
        if (ctx.streamDone !== undefined) await ctx.settleStream();
      } else {
        this.#miss(ctx);
      }
      commitContext(ctx);
    } catch (error) {
      this.#fail(ctx, error);
    }
  }

  /**
   * The innermost `next`: the route's own chain, then the stream it started
   * (so `next()` resolves once the response is complete even when the
   * handler did not await `ctx.stream()`); or the answer to a miss.
   */
  async #dispatch(ctx: EngineContext): Promise<void> {
    const route = ctx.routeChain;
    if (route === undefined) {
      this.#miss(ctx);
      return;
    }
    await route.run(ctx);
    if (ctx.streamDone !== undefined) await ctx.settleStream();
  }

  #miss(ctx: EngineContext): void {
    if (ctx.matchError !== undefined) {
      ctx.problem(ctx.matchError);
      return;
    }
    const method = ctx.req.method;
    const path = ctx.req.path;
    if (this.#options.redirectTrailingSlash) {
      let location: string | undefined;
      try {
        location = this.#trailingSlashTarget(method, path);
      } catch (error) {
        // The other spelling matches, but with a malformed escape: the 400 now, not after a redirect.
        ctx.problem(error);
        return;
      }
      if (location !== undefined) {
        const query = ctx.req.url.slice(path.length);
        const target = location + query;
        if (SAFE_LOCATION.test(target)) {
          // 308 keeps the method and body (RFC 9110 §15.4.9); 301 may turn them into a GET.
          ctx.respond(method === 'GET' || method === 'HEAD' ? 301 : 308, null, { location: target });
          return;
        }
      }
    }
    const allowed = this.allowedMethods(path);
    if (allowed.length > 0) {
      const allow = allowed.join(', ');
      ctx.problem(new HttpError(405, { detail: `${method} is not allowed on ${path}; allowed: ${allow}`, headers: { allow } }));
      return;
    }
    ctx.problem(new HttpError(404, { detail: `No route for ${method} ${path}` }));
  }

  /**
   * The methods with a route for `path`, in `Allow` header order; HEAD is
   * listed whenever GET is, since GET routes answer HEAD.
   */
  allowedMethods(path: string): string[] {
    const allowed = this.#router.allowedMethods(path);
    const get = allowed.indexOf('GET');
    if (get !== -1 && !allowed.includes('HEAD')) allowed.splice(get + 1, 0, 'HEAD');
    return allowed;
  }

  /** The same path with the trailing slash toggled, when a route of this method matches it. */
  #trailingSlashTarget(method: string, path: string): string | undefined {
    if (path.length < 2 || path.charCodeAt(0) !== 47) return undefined;
    const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
    // `//host` or `/\host` in a Location is another site (an open redirect).
    const second = other.charCodeAt(1);
    if (second === 47 || second === 92) return undefined;
    const router = this.#router;
    // find, not has: it decodes the params, so a malformed escape throws its 400 here.
    if (router.find(method, other) !== undefined || (method === 'HEAD' && router.find('GET', other) !== undefined)) return other;
    return undefined;
  }

  #fail(ctx: EngineContext, error: unknown): void {
    if (isServerFault(error)) {
      try {
        this.#options.onError(error, ctx);
      } catch {
        // A reporter that throws must not break the answer.
      }
    }
    try {
      answerUnhandled(ctx, error);
    } catch {
      // Even the problem could not be made (a formatter that throws): cut the connection.
      ctx.raw.res.destroy();
    }
  }
}
