/**
 * The Context every adapter builds: a thin, lazy view over node's
 * IncomingMessage/ServerResponse (Express and Fastify run on them too), so
 * all adapters share one implementation of the contract.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type BodyOptions, bodyOptions, parseBody } from './body.js';
import { type ClientResolver, type TrustProxy, clientResolver } from './client-ip.js';
import { ClientClosedError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, type ProblemFormatter, type ProblemOptions, problemOptions, toHttpError } from './problem.js';
import { NodeResponse } from './response.js';
import type { AdapterName, Context, HeaderRecord, ResponseBody, WardRequest, WardState } from './types.js';

/** Options every adapter accepts, resolved once at configuration time. */
export interface AdapterOptions {
  /** Which proxies may set `X-Forwarded-For`/`-Proto`. Default: `false` (none). See {@link TrustProxy}. */
  trustProxy?: TrustProxy;
  /** Replaces the problem+json formatter. Default: `formatProblem`. */
  problemFormatter?: ProblemFormatter;
  /** Prefix of problem `type` URIs. Default: `urn:ward:problem:`. */
  problemTypeBase?: string;
  /** Expose 5xx messages and stacks in problem bodies. Default: `false`; never in production. */
  development?: boolean;
  /** How `ctx.req.body()` reads bodies. Default: 1 MiB limit; JSON, text and form. */
  body?: BodyOptions;
}

/** What an adapter plugs into the shared context. */
export interface ContextSettings {
  readonly adapter: AdapterName;
  readonly client: ClientResolver;
  readonly problem: ProblemOptions;
  readonly body: Required<BodyOptions>;
  /** The framework's route template for this request, when it knows one. */
  readonly routeOf?: ((ctx: NodeContext) => string | undefined) | undefined;
  /** Reads the body where the framework owns it (Express `req.body`, Fastify `request.body`). */
  readonly readBody?: ((ctx: NodeContext) => Promise<unknown>) | undefined;
  /** Route parameters the framework matched (Express `req.params`, Fastify `request.params`). */
  readonly paramsOf?: ((ctx: NodeContext) => Readonly<Record<string, string>>) | undefined;
  /**
   * The full request target where the framework rewrites `req.url` (Express
   * strips a mounted router's prefix; `req.originalUrl` keeps it).
   */
  readonly urlOf?: ((ctx: NodeContext) => string | undefined) | undefined;
}

/** Validates adapter options into settings; throws TypeError/RangeError naming the option. */
export function contextSettings(
  adapter: AdapterName,
  options: AdapterOptions = {},
  hooks: Pick<ContextSettings, 'routeOf' | 'readBody' | 'paramsOf' | 'urlOf'> = {},
): ContextSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${adapter} adapter options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  if (options.problemTypeBase !== undefined && typeof options.problemTypeBase !== 'string') {
    throw new TypeError(`problemTypeBase must be a string, got ${typeof options.problemTypeBase}`);
  }
  return Object.freeze({
    adapter,
    client: clientResolver(options.trustProxy),
    problem: problemOptions({
      formatter: options.problemFormatter,
      development: options.development,
      typeBase: options.problemTypeBase,
    } as Partial<ProblemOptions>),
    body: bodyOptions(options.body),
    ...hooks,
  });
}

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

class NodeRequest implements WardRequest {
  readonly #ctx: NodeContext;
  readonly #raw: IncomingMessage;
  #path: string | undefined;
  #query: URLSearchParams | undefined;
  #ip: string | undefined;
  #body: Promise<unknown> | undefined;
  /** @internal set by a router that matched a route. */
  matchedRoute: string | undefined;
  /** @internal set by a router that matched a route. */
  matchedParams: Readonly<Record<string, string>> | undefined;

  constructor(ctx: NodeContext, raw: IncomingMessage) {
    this.#ctx = ctx;
    this.#raw = raw;
  }

  get method(): string {
    return this.#raw.method ?? 'GET';
  }

  get url(): string {
    const urlOf = this.#ctx.settings.urlOf;
    return originForm((urlOf === undefined ? undefined : urlOf(this.#ctx)) ?? this.#raw.url ?? '/');
  }

  get path(): string {
    if (this.#path === undefined) {
      const url = this.url;
      const q = url.indexOf('?');
      this.#path = q === -1 ? url : url.slice(0, q);
    }
    return this.#path;
  }

  get query(): URLSearchParams {
    if (this.#query === undefined) {
      const url = this.url;
      const q = url.indexOf('?');
      this.#query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    }
    return this.#query;
  }

  get headers(): IncomingHttpHeaders {
    return this.#raw.headers;
  }

  get ip(): string {
    if (this.#ip === undefined) this.#ip = this.#ctx.settings.client.ip(this.#raw);
    return this.#ip;
  }

  get secure(): boolean {
    return this.#ctx.settings.client.secure(this.#raw);
  }

  get route(): string | undefined {
    return this.matchedRoute ?? this.#ctx.settings.routeOf?.(this.#ctx);
  }

  get params(): Readonly<Record<string, string>> {
    return this.matchedParams ?? this.#ctx.settings.paramsOf?.(this.#ctx) ?? EMPTY_PARAMS;
  }

  header(name: string): string | undefined {
    const headers = this.#raw.headers;
    const key = name.toLowerCase();
    // node's header object has Object.prototype: `constructor`, `__proto__`… are no headers.
    const value = Object.hasOwn(headers, key) ? headers[key] : undefined;
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  body(): Promise<unknown> {
    if (this.#body === undefined) {
      const settings = this.#ctx.settings;
      this.#body = settings.readBody ? settings.readBody(this.#ctx) : parseBody(this.#raw, settings.body);
    }
    return this.#body;
  }
}

/**
 * The Context implementation all adapters share. Engine contexts extend it
 * with routing helpers.
 */
export class NodeContext implements Context {
  readonly req: NodeRequest;
  readonly res: NodeResponse;
  readonly state: WardState;
  readonly settings: ContextSettings;
  readonly raw: { readonly req: IncomingMessage; readonly res: ServerResponse };
  #controller: AbortController | undefined;
  readonly #enclosing: NodeContext | undefined;

  /**
   * @param response the response view to use instead of a plain
   *   `NodeResponse` over `res` (an adapter whose framework keeps its own
   *   header store passes a subclass that reads and writes through it).
   * @param enclosing the context of the ward chain this one is nested in on
   *   the same request (an app-level and a route-level `ward()`): both share
   *   one `state` (the inner chain's answers carry the outer `requestId`)
   *   and one `signal` (an inner timeout aborts what the outer chain runs).
   */
  constructor(req: IncomingMessage, res: ServerResponse, settings: ContextSettings, response?: NodeResponse, enclosing?: NodeContext) {
    this.settings = settings;
    this.state = enclosing === undefined ? {} : enclosing.state;
    this.#enclosing = enclosing;
    this.raw = { req, res };
    this.req = new NodeRequest(this, req);
    this.res = response ?? new NodeResponse(res);
  }

  get adapter(): AdapterName {
    return this.settings.adapter;
  }

  /** Created on first use: most requests never look at it. */
  get signal(): AbortSignal {
    if (this.#enclosing !== undefined) return this.#enclosing.signal;
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const res = this.raw.res;
      if (res.destroyed && !res.writableFinished) {
        controller.abort(new ClientClosedError());
      } else if (!res.writableFinished) {
        res.once('close', () => {
          if (!res.writableFinished && !controller.signal.aborted) controller.abort(new ClientClosedError());
        });
      }
    }
    return this.#controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.#enclosing !== undefined) {
      this.#enclosing.abort(reason);
      return;
    }
    const signal = this.signal;
    if (!signal.aborted) this.#controller!.abort(reason);
  }

  respond(status: number, body?: ResponseBody | null, headers?: HeaderRecord): void {
    const res = this.res;
    if (res.committed) return;
    res.status = status;
    if (headers !== undefined) {
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        if (value !== undefined) res.setHeader(name, value);
      }
    }
    res.body = body ?? '';
  }

  json(status: number, value: unknown, headers?: HeaderRecord): void {
    if (this.res.committed) return;
    this.res.setHeader('content-type', 'application/json; charset=utf-8');
    this.respond(status, JSON.stringify(value) ?? 'null', headers);
  }

  text(status: number, text: string, headers?: HeaderRecord): void {
    if (this.res.committed) return;
    this.res.setHeader('content-type', 'text/plain; charset=utf-8');
    this.respond(status, text, headers);
  }

  problem(error: unknown): void {
    if (this.res.committed) return;
    const httpError = toHttpError(error);
    const options = this.settings.problem;
    const body = options.formatter(httpError, this, options);
    this.res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
    // Cache-Control: a problem answer is about this request only.
    this.res.setHeader('cache-control', 'no-store');
    this.respond(httpError.status, JSON.stringify(body), httpError.headers);
  }
}

/**
 * Creates the shared context for one request; `enclosing` is the context of
 * the ward chain this one is nested in on the same request, if any (they
 * share `state` and `signal`).
 */
export function createContext(req: IncomingMessage, res: ServerResponse, settings: ContextSettings, enclosing?: NodeContext): NodeContext {
  return new NodeContext(req, res, settings, undefined, enclosing);
}

/**
 * The request-target in origin-form (`/path?query`). RFC 9112 §3.2.2: a
 * server MUST accept the absolute-form (`GET http://host/path`, as sent to
 * proxies); its scheme and authority — user info included, which must never
 * reach a log — are dropped.
 */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 0x2f /* / */) return target;
  const scheme = ABSOLUTE_FORM.exec(target);
  if (scheme === null) return target;
  const start = scheme[0].length;
  let end = start;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  const rest = target.slice(end);
  return rest === '' || rest[0] === '?' ? `/${rest}` : rest;
}

const ABSOLUTE_FORM = /^https?:\/\//i;
