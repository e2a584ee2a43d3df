/**
 * The contract every ward middleware and adapter keeps (see docs/contract.md).
 *
 * A middleware is one `(ctx, next)` function. The adapters (engine, Express,
 * Fastify, node:http) build a {@link Context} per request and run the chain
 * with the onion order of Koa and Hono.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Runs the rest of the chain. Resolves when everything downstream has answered. */
export type Next = () => Promise<void>;

/** One ward middleware. Not calling `next()` ends the chain. */
export type Middleware<C extends Context = Context> = (ctx: C, next: Next) => Promise<void> | void;

/**
 * Request-scoped values, typed by declaration merging. Each package adds its own
 * optional keys:
 *
 * @example
 * declare module '@ward/core' {
 *   interface WardState { tenantId?: string }
 * }
 */
export interface WardState {
  /** The request id, set by `@ward/request-id`; every problem+json body carries it. */
  requestId?: string;
  /** The W3C trace id (32 hex), set by `@ward/request-id`; logs and reports carry it. */
  traceId?: string;
}

/** A response body the adapters can hold and write in one go. */
export type ResponseBody = string | Uint8Array;

/** Header values accepted by `setHeader`/`appendHeader`. */
export type HeaderValue = string | number | readonly string[];

/** Headers given to `ctx.respond()`. */
export type HeaderRecord = Readonly<Record<string, HeaderValue | undefined>>;

/** Which stack runs the chain. */
export type AdapterName = 'engine' | 'express' | 'fastify' | 'node' | (string & {});

/** The request as every middleware sees it, on every adapter. */
export interface WardRequest {
  /** Upper-case method, e.g. `GET`. */
  readonly method: string;
  /** The raw request target: path and query, undecoded (`/a%20b?x=1`). */
  readonly url: string;
  /** The path part of {@link url}, undecoded, without the query. */
  readonly path: string;
  /** The parsed query string. */
  readonly query: URLSearchParams;
  /** All request headers, lower-case names (node's own object; do not mutate). */
  readonly headers: IncomingHttpHeaders;
  /**
   * The client address. Proxy headers (`X-Forwarded-For`) count only when the
   * adapter's `trustProxy` option says the immediate peer is a trusted proxy.
   */
  readonly ip: string;
  /** True over TLS, or when a trusted proxy says `X-Forwarded-Proto: https`. */
  readonly secure: boolean;
  /**
   * The matched route template (`/users/:id`) where the stack knows it, for
   * metric labels and logs. Often only known after `await next()`.
   */
  readonly route: string | undefined;
  /** Route parameters where the stack has matched a route (empty object otherwise). */
  readonly params: Readonly<Record<string, string>>;
  /**
   * Case-insensitive header lookup. Repeated headers are joined with `, `
   * (RFC 9110 §5.3); `undefined` when absent.
   */
  header(name: string): string | undefined;
  /**
   * The request body, read once and parsed by content type (JSON, text, form);
   * cached. Rejects with an `HttpError` (400, 413, 415) for bad input.
   * Where the framework already parsed the body (Express `req.body`, Fastify
   * `request.body`), that value is returned.
   */
  body(): Promise<unknown>;
}

/** The response the downstream produced, held until the outermost ward middleware returns. */
export interface WardResponse {
  /** Status code. Setting it counts as an answer. */
  status: number;
  /**
   * The buffered body the downstream produced (or a middleware set), or
   * `undefined` when there is none or the response streamed. Assigning it
   * counts as an answer.
   */
  body: ResponseBody | undefined;
  /** True once headers are on the wire (a stream, or a final write): later changes are ignored. */
  readonly committed: boolean;
  /** True once anything produced an answer (a respond call, a status, a body, the framework's handler). */
  readonly answered: boolean;
  /** Header value, repeated values joined with `, `. */
  header(name: string): string | undefined;
  /** Header value as stored (a `string[]` for repeated headers such as `Set-Cookie`). */
  getHeader(name: string): string | number | string[] | undefined;
  hasHeader(name: string): boolean;
  /** A snapshot of all headers, lower-case names. */
  headers(): OutgoingHttpHeaders;
  setHeader(name: string, value: HeaderValue): void;
  /** Adds a value, keeping those already set (`Vary`, `Set-Cookie`). */
  appendHeader(name: string, value: HeaderValue): void;
  removeHeader(name: string): void;
}

/** What a middleware gets: the request, the response being built, state and a signal. */
export interface Context {
  readonly req: WardRequest;
  readonly res: WardResponse;
  /** Request-scoped values; see {@link WardState}. */
  readonly state: WardState;
  /**
   * Fires when the client goes away or a deadline passes; its `reason` says
   * which (`ClientClosedError`, or whatever was passed to {@link abort}).
   */
  readonly signal: AbortSignal;
  /** Which adapter runs this chain. */
  readonly adapter: AdapterName;
  /** The node objects underneath, for the rare case that needs them. */
  readonly raw: { readonly req: IncomingMessage; readonly res: ServerResponse };
  /** Answer now: sets status, body and headers. */
  respond(status: number, body?: ResponseBody | null, headers?: HeaderRecord): void;
  /** Answer now with `application/json; charset=utf-8`. */
  json(status: number, value: unknown, headers?: HeaderRecord): void;
  /** Answer now with `text/plain; charset=utf-8`. */
  text(status: number, text: string, headers?: HeaderRecord): void;
  /**
   * Answer now with an RFC 9457 problem+json body made by the configured
   * formatter. An `HttpError` keeps its status, code and headers; anything
   * else is a 500 whose message stays in the process.
   */
  problem(error: unknown): void;
  /** Aborts {@link signal} with `reason` (a timeout passes its `TimeoutError`). */
  abort(reason?: unknown): void;
}
