/**
 * Reading and parsing request bodies with a size limit. Bad input is always
 * an HttpError (400, 413, 415), never a crash: RFC 9110 §15.5.14 (413),
 * §15.5.16 (415).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

/** Body reading options. */
export interface BodyOptions {
  /** Largest body accepted, in bytes. Default: 1 MiB (1 048 576). */
  limitBytes?: number;
  /**
   * Media types that are parsed; anything else is a 415. Default: JSON
   * (`application/json`, `*+json`), `text/plain` and
   * `application/x-www-form-urlencoded`.
   */
  types?: readonly BodyType[];
}

export type BodyType = 'json' | 'text' | 'form';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Validates body options at configuration time. */
export function bodyOptions(input: BodyOptions = {}): Required<BodyOptions> {
  const limitBytes = input.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
    throw new RangeError(`body.limitBytes must be a non-negative integer of bytes, got ${String(limitBytes)}`);
  }
  const types = input.types ?? ['json', 'text', 'form'];
  for (const type of types) {
    if (type !== 'json' && type !== 'text' && type !== 'form') {
      throw new RangeError(`body.types accepts 'json', 'text' and 'form', got ${JSON.stringify(type)}`);
    }
  }
  return { limitBytes, types };
}

/**
 * Reads the raw body, stopping at `limitBytes` with a 413. A declared
 * `Content-Length` over the limit is refused before reading a byte.
 */
export function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) {
    return Promise.reject(tooLarge(limitBytes));
  }
  const transfer = req.headers['transfer-encoding'];
  if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') {
    // Node undoes only `chunked`; any other coding (gzip, chunked) would be read as content (RFC 9112 §6.1: 501).
    req.resume();
    return Promise.reject(
      new HttpError(501, {
        code: 'UNSUPPORTED_TRANSFER_ENCODING',
        detail: `Transfer-Encoding ${JSON.stringify(transfer)} is not supported: send the body chunked or with a Content-Length`,
        headers: { connection: 'close' },
      }),
    );
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return Promise.reject(
      new HttpError(415, {
        code: 'UNSUPPORTED_CONTENT_ENCODING',
        detail: `Content-Encoding ${JSON.stringify(encoding)} is not accepted`,
        headers: { 'accept-encoding': 'identity' },
      }),
    );
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: HttpError | undefined): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error !== undefined) {
        // Stop reading what we refuse; the answer closes the connection.
        req.resume();
        reject(error);
      } else {
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) finish(tooLarge(limitBytes));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new HttpError(400, { code: 'BODY_READ_FAILED', detail: 'The request body could not be read' }));
    const onAborted = onError;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    if (req.readableEnded) finish(undefined);
  });
}

/** Which parser a Content-Type selects, or undefined when none does. */
export function bodyTypeOf(contentType: string | undefined): BodyType | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))) return 'json';
  if (media === 'text/plain') return 'text';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

/**
 * Reads and parses a request body. An empty body is `undefined`. JSON with
 * `__proto__` or `constructor.prototype` keys is refused (prototype
 * poisoning, as secure-json-parse does).
 */
export async function parseBody(req: IncomingMessage, options: Required<BodyOptions>): Promise<unknown> {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const type = bodyTypeOf(req.headers['content-type']);
  if (type === undefined || !options.types.includes(type)) {
    if (req.headers['content-length'] === '0') return undefined;
    req.resume();
    throw new HttpError(415, {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted`,
    });
  }
  const decode = decoderFor(type, req.headers['content-type']!);
  if (decode === undefined) {
    req.resume();
    throw new HttpError(415, {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: `Content-Type ${JSON.stringify(req.headers['content-type'])}: the charset is not accepted${type === 'text' ? '' : ' (this type is UTF-8, RFC 8259 §8.1)'}`,
    });
  }
  const raw = await readRawBody(req, options.limitBytes);
  if (raw.length === 0) return undefined;
  const text = decode(raw);
  switch (type) {
    case 'json':
      return parseJson(text);
    case 'text':
      return text;
    case 'form':
      return parseForm(text);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(raw: Buffer): string {
  try {
    return decoder.decode(raw);
  } catch {
    throw new HttpError(400, { code: 'INVALID_ENCODING', detail: 'The request body is not valid UTF-8' });
  }
}

/** The `charset` parameter of a media type, lower-cased; undefined when there is none. */
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/**
 * How a body of `type` is decoded: UTF-8 unless the Content-Type names
 * another charset (RFC 9110 §8.3.2), which text/plain may use and JSON and
 * forms may not (both are UTF-8). Undefined: a charset that is refused (415).
 */
function decoderFor(type: BodyType, contentType: string): ((raw: Buffer) => string) | undefined {
  const match = CHARSET.exec(contentType);
  if (match === null) return decodeUtf8;
  const charset = (match[1] ?? match[2] ?? '').toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii') return decodeUtf8;
  if (type !== 'text') return undefined;
  let other: { decode(input: Uint8Array): string };
  try {
    other = new TextDecoder(charset, { fatal: true });
  } catch {
    return undefined;
  }
  return (raw) => {
    try {
      return other.decode(raw);
    } catch {
      throw new HttpError(400, { code: 'INVALID_ENCODING', detail: `The request body is not valid ${charset}` });
    }
  };
}

/** JSON.parse that answers 400 and refuses prototype-poisoning keys. */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, { code: 'INVALID_JSON', detail: `The request body is not valid JSON: ${(error as Error).message}`, cause: error });
  }
  // A key may also arrive escaped ("\u005f_proto__"), which JSON.parse decodes: check those bodies too.
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) assertNoPoison(value);
  return value;
}

/** Walks the parsed value with a stack of its own: JSON.parse takes nesting far deeper than a recursive walk could. */
function assertNoPoison(root: unknown): void {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Object.prototype.hasOwnProperty.call(value, '__proto__')) throw poisoned();
    const ctor = (value as Record<string, unknown>)['constructor'];
    if (
      Object.prototype.hasOwnProperty.call(value, 'constructor') &&
      typeof ctor === 'object' &&
      ctor !== null &&
      Object.prototype.hasOwnProperty.call(ctor, 'prototype')
    ) {
      throw poisoned();
    }
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) pending.push(child);
  }
}

function poisoned(): HttpError {
  return new HttpError(400, { code: 'INVALID_JSON', detail: 'The request body has forbidden keys (__proto__, constructor.prototype)' });
}

function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(text)) {
    const prior = out[key];
    if (prior === undefined) out[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[key] = [prior, value];
  }
  return out;
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, {
    code: 'PAYLOAD_TOO_LARGE',
    detail: `The request body is larger than ${limitBytes} bytes`,
    headers: { connection: 'close' },
  });
}
