/**
 * `ctx.req.body()` before Fastify has read the body (a chain starting in
 * `onRequest` or `preParsing`). The bytes are read in paused mode and put
 * back into the request stream with `unshift()` before it ends, so Fastify's
 * parser — and every `preParsing` hook, a decompressor included — reads the
 * request as if nobody had looked. Core's parser (limit, media types,
 * prototype-poisoning checks, 400/413/415 problems) parses a replay of the
 * same bytes. Costs nothing for requests whose body no middleware reads.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { type BodyOptions, bodyTypeOf, HttpError, parseBody } from '@ward/core';

const NO_BYTES = Buffer.alloc(0);

/** Reads and parses the body of `req` while leaving it unread for the next reader. */
export function readBodyAhead(req: IncomingMessage, options: Required<BodyOptions>): Promise<unknown> {
  // Where core answers without reading (no body, a refused type, encoding or
  // declared length), it gets no bytes and the request stream is not touched.
  if (!worthReading(req, options)) return parseBody(replay(req, NO_BYTES), options);
  return peekBody(req, options.limitBytes).then((bytes) => parseBody(replay(req, bytes), options));
}

function worthReading(req: IncomingMessage, options: Required<BodyOptions>): boolean {
  const headers = req.headers;
  const length = headers['content-length'];
  if (length === undefined ? headers['transfer-encoding'] === undefined : length === '0' || Number(length) > options.limitBytes) {
    return false;
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = bodyTypeOf(headers['content-type']);
  return type !== undefined && options.types.includes(type);
}

/**
 * Reads up to `limitBytes + 1` bytes of the body, then puts them back in
 * front of the stream. Never reads past the end (`read(n)` with an explicit
 * size, and `complete` to see the end), so the stream does not emit `'end'`
 * before its next reader listens.
 */
export function peekBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  // The whole message is in and nothing is buffered: an empty body, nothing to touch.
  if (req.complete && req.readableLength === 0) return Promise.resolve(NO_BYTES);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: HttpError | undefined): void => {
      req.off('readable', onReadable);
      req.off('error', onError);
      req.off('aborted', onError);
      if (error !== undefined) {
        reject(error);
        return;
      }
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (bytes.length > 0) req.unshift(bytes);
      resolve(bytes);
    };
    const onReadable = (): void => {
      while (size <= limitBytes && req.readableLength > 0) {
        const chunk = req.read(req.readableLength) as Buffer;
        chunks.push(chunk);
        size += chunk.length;
      }
      if (size > limitBytes || req.complete) finish(undefined);
    };
    const onError = (): void => finish(new HttpError(400, { code: 'BODY_READ_FAILED', detail: 'The request body could not be read' }));
    // A read in progress keeps on('readable') from scheduling its own read(0),
    // which would end an empty stream whose end has already arrived.
    req.read(0);
    req.on('readable', onReadable);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

/**
 * The bytes as a request for core's `parseBody`, which uses only `headers`
 * and the stream (`data`/`end`/`error`, `resume()`, `readableEnded`).
 */
function replay(req: IncomingMessage, bytes: Buffer): IncomingMessage {
  const stream = Readable.from(bytes.length === 0 ? [] : [bytes], { objectMode: false });
  return Object.assign(stream, { headers: req.headers }) as unknown as IncomingMessage;
}
