/**
 * The engine's context: core's `NodeContext` plus what routes need —
 * `param()`, `stream()` and `validate()`. Everything else (`json`, `text`,
 * `problem`, the deferred commit) is core's, unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type ContextSettings, NodeContext } from '@ward/core';
import { type StreamOptions, type StreamSource, streamResponse } from './stream.js';
import { checkSchema, checkSource, queryObject, type ValidationSource, validateValue } from './validate.js';

/** Called with a server-side failure the engine could not answer (a stream that broke). */
export type EngineErrorReporter = (error: unknown, ctx: EngineContext) => void;

/** Core's context settings, plus where the engine reports failures. */
export interface EngineContextSettings extends ContextSettings {
  /** Receives streams that fail on the server's side. Default: printed to stderr. */
  readonly onError?: EngineErrorReporter | undefined;
}

/** A route the engine matched before running the chain. @internal */
export interface MatchedRoute {
  /** Group middleware and handlers, composed once at registration. */
  run(ctx: EngineContext): Promise<void>;
}

/** The default `onError`: the error on stderr. @internal */
export function printError(error: unknown): void {
  console.error('[ward] unhandled error:', error);
}

/**
 * What engine middleware and handlers receive.
 *
 * @example
 * engine.get('/users/:id', async (ctx) => {
 *   const user = await users.get(ctx.param('id'));
 *   if (user === undefined) throw new HttpError(404, { code: 'USER_NOT_FOUND' });
 *   ctx.json(200, user);
 * });
 */
export class EngineContext extends NodeContext {
  /** @internal the matched route, set by the engine before the chain runs. */
  routeChain: MatchedRoute | undefined = undefined;
  /** @internal an error the router raised while matching (a malformed escape: 400). */
  matchError: unknown = undefined;
  /** @internal settles when a stream started with {@link stream} has finished. */
  streamDone: Promise<void> | undefined = undefined;
  /** @internal the server-side failure of that stream, if it failed. */
  streamError: { readonly error: unknown } | undefined = undefined;

  constructor(req: IncomingMessage, res: ServerResponse, settings: EngineContextSettings) {
    super(req, res, settings);
  }

  /**
   * The percent-decoded value of a route parameter or wildcard (`:id`,
   * `*path`); `''` when the matched route has no such name.
   */
  param(name: string): string {
    const params = this.req.params;
    return Object.prototype.hasOwnProperty.call(params, name) ? params[name]! : '';
  }

  /**
   * Streams `source` as the response: the status and headers go out now
   * (`ctx.res.committed` becomes true) and the bytes are piped through with
   * backpressure. A source that fails destroys the connection, and its error
   * rejects `next()` in every global middleware (rule 5: recovery sees it;
   * if nobody handles it, the engine's `onError` gets it); a client that
   * leaves destroys the source. For HEAD, only the headers are sent and the
   * source is not read.
   *
   * The promise resolves when the response has finished or was cut; it never
   * rejects. `await` (or `return`) it so that every middleware's `next()`
   * resolves after the stream; the engine itself always waits for it before
   * the global middleware's `next()` resolves.
   *
   * @example
   * engine.get('/events', (ctx) => ctx.stream(events(), { contentType: 'text/event-stream' }));
   */
  stream(source: StreamSource, options?: StreamOptions): Promise<void> {
    const done = streamResponse(this, source, options, EngineContext.#reportFailure);
    this.streamDone ??= done;
    return done;
  }

  /**
   * Validates the body (read and parsed with core's `ctx.req.body()`: 400,
   * 413, 415 on bad input), the query (as an object of strings, repeated
   * keys as arrays) or the route params with a Standard Schema v1 schema.
   * Resolves with the schema's output; rejects with a 400 `HttpError`, code
   * `VALIDATION_FAILED`, whose `errors` extension lists `{ path, message }`
   * per issue (at most 100).
   *
   * @example
   * const input = await ctx.validate(z.object({ name: z.string() }), 'body');
   */
  async validate<S extends StandardSchemaV1>(schema: S, from: ValidationSource): Promise<StandardSchemaV1.InferOutput<S>> {
    checkSchema(schema);
    checkSource(from);
    const value = from === 'body' ? await this.req.body() : from === 'query' ? queryObject(this.req.query) : { ...this.req.params };
    return validateValue(schema, value, from);
  }

  /**
   * @internal Waits for the stream this context started; rejects with its
   * server-side failure, so the error reaches the global middleware.
   */
  async settleStream(): Promise<void> {
    await this.streamDone;
    const failure = this.streamError;
    if (failure !== undefined) throw failure.error;
  }

  /** One function for every context: no closure per request. The first failure is kept for {@link settleStream}. */
  static #reportFailure(error: unknown, ctx: NodeContext): void {
    const self = ctx as EngineContext;
    self.streamError ??= { error };
  }
}
