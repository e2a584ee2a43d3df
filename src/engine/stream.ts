/**
 * `ctx.stream()`: commits the response (status and headers go out now) and
 * pipes a source into it with `stream.pipeline`, so a failing source
 * destroys the response and a client that goes away destroys the source
 * (rule 3 of DESIGN.md: streaming is allowed; the body is then not
 * available to middleware).
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { NodeContext } from '@ward/core';

/** What `ctx.stream()` accepts: a node Readable, or any async iterable of text or bytes (an async generator). */
export type StreamSource = Readable | AsyncIterable<string | Uint8Array>;

/** Options of `ctx.stream()`. */
export interface StreamOptions {
  /** The `Content-Type`. Default: the one already set on the response, else `application/octet-stream`. */
  contentType?: string;
  /** The status code. Default: the one already set on the response if a middleware set one, else 200. */
  status?: number;
}

/** Reports a stream that failed on the server's side (not a client that left). */
export type StreamFailureReporter = (error: unknown, ctx: NodeContext) => void;

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Starts streaming `source` as the response of `ctx`. Resolves when the
 * response has finished or was cut; never rejects: a failure destroys the
 * connection and, unless the client went away or `ctx.abort()` was called,
 * is handed to `report`.
 */
export function streamResponse(
  ctx: NodeContext,
  source: StreamSource,
  options: StreamOptions | undefined,
  report: StreamFailureReporter,
): Promise<void> {
  checkSource(source);
  const { contentType, status } = checkOptions(options);
  const res = ctx.raw.res;
  const response = ctx.res;
  if (response.committed || res.headersSent || res.writableEnded || res.destroyed) {
    // Rule 4: another answer already went out (a timeout's 503); this one is dropped.
    discard(source);
    return Promise.resolve();
  }
  if (status !== undefined) res.statusCode = status;
  else if (!response.answered) res.statusCode = 200;
  if (contentType !== undefined) res.setHeader('content-type', contentType);
  else if (!res.hasHeader('content-type')) res.setHeader('content-type', DEFAULT_CONTENT_TYPE);
  response.markAnswered();
  response.markCommitted();

  if (ctx.req.method === 'HEAD') {
    // The headers of the GET, no body: do not pull the source at all.
    res.end();
    discard(source);
    return Promise.resolve();
  }
  // Created before the pipeline, so the abort reason of a client that leaves is known first.
  const signal = ctx.signal;
  // Headers go out now (an SSE client waits for them before any event).
  res.flushHeaders();
  return pipeline(source, res as ServerResponse, { signal }).then(undefined, (error: unknown) => {
    if (signal.aborted || isPrematureClose(error)) return;
    report(error, ctx);
  });
}

function checkSource(source: unknown): asserts source is StreamSource {
  if (source instanceof Readable) return;
  if (typeof source === 'object' && source !== null && typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    return;
  }
  throw new TypeError(
    `ctx.stream(source): source must be a Readable or an AsyncIterable of string/Uint8Array (e.g. an async generator), got ${
      source === null ? 'null' : typeof source
    }`,
  );
}

function checkOptions(options: StreamOptions | undefined): StreamOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`ctx.stream(source, options): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { contentType, status } = options;
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType === '')) {
    throw new TypeError(`ctx.stream(): contentType must be a non-empty string such as "text/event-stream", got ${JSON.stringify(contentType)}`);
  }
  if (status !== undefined) {
    // 1xx, 204 and 304 carry no content (RFC 9110 §6.4.1), so they cannot stream one.
    if (!Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 205 || status === 304) {
      throw new RangeError(`ctx.stream(): status must be an integer from 200 to 599 that carries content (not 204/205/304), got ${String(status)}`);
    }
  }
  return { contentType, status };
}

/** Releases a source that will not be read. */
function discard(source: StreamSource): void {
  if (source instanceof Readable) source.destroy();
}

function isPrematureClose(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}
