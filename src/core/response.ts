/**
 * The response a chain is building, kept in node's own header store so that
 * headers a framework sets (`res.setHeader`, Express `res.set`) and headers a
 * middleware sets are one set. Status, body and the answered/committed flags
 * are held here until the adapter writes the response once (rule 2).
 */
import { type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { HeaderValue, ResponseBody, WardResponse } from './types.js';

/*
 * Ward's own header reads and writes go through node's prototype methods,
 * never through the response's own properties: once a capture drops a late
 * downstream's output (rule 4), it replaces the response's setHeader & co.
 * with no-ops for the downstream — ward's middleware (an outer ward layer
 * finishing its answer) must not be dropped with it.
 */
const proto = ServerResponse.prototype;
const setHeader = proto.setHeader;
const getHeader = proto.getHeader;
const hasHeader = proto.hasHeader;
const removeHeader = proto.removeHeader;
const getHeaders = proto.getHeaders;

/** The response ward is writing right now (node's `end` calls `this.writeHead` on the way). */
let writing: ServerResponse | undefined;

/** @internal True while ward itself writes `res`: a capture's no-ops for a late downstream let it through. */
export function isWardWriting(res: ServerResponse): boolean {
  return writing === res;
}

function end(write: { end(this: ServerResponse, chunk?: unknown): unknown }, raw: ServerResponse, body?: ResponseBody): void {
  const previous = writing;
  writing = raw;
  try {
    if (body === undefined) write.end.call(raw);
    else write.end.call(raw, body);
  } finally {
    writing = previous;
  }
}

export class NodeResponse implements WardResponse {
  /** @internal the node response underneath. */
  readonly raw: ServerResponse;
  #body: ResponseBody | undefined = undefined;
  #answered = false;
  #committed = false;
  /** @internal true when a middleware assigned `body` (Content-Length is then recomputed). */
  bodyChanged = false;

  constructor(raw: ServerResponse) {
    this.raw = raw;
  }

  get status(): number {
    return this.raw.statusCode;
  }

  set status(value: number) {
    if (!Number.isInteger(value) || value < 100 || value > 999) {
      throw new RangeError(`ctx.res.status must be an integer from 100 to 999, got ${String(value)}`);
    }
    if (this.#committed) return;
    this.raw.statusCode = value;
    this.#answered = true;
  }

  get body(): ResponseBody | undefined {
    return this.#body;
  }

  set body(value: ResponseBody | undefined) {
    if (this.#committed) return;
    if (value !== undefined && typeof value !== 'string' && !(value instanceof Uint8Array)) {
      throw new TypeError(`ctx.res.body must be a string or Uint8Array (use ctx.json() for values), got ${typeof value}`);
    }
    this.#body = value;
    this.bodyChanged = true;
    this.#answered = true;
  }

  get committed(): boolean {
    return this.#committed;
  }

  get answered(): boolean {
    return this.#answered;
  }

  header(name: string): string | undefined {
    const value = getHeader.call(this.raw, name);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }

  getHeader(name: string): string | number | string[] | undefined {
    return getHeader.call(this.raw, name);
  }

  hasHeader(name: string): boolean {
    return hasHeader.call(this.raw, name);
  }

  headers(): OutgoingHttpHeaders {
    return getHeaders.call(this.raw);
  }

  setHeader(name: string, value: HeaderValue): void {
    if (this.#committed) return;
    setHeader.call(this.raw, name, value as string | number | string[]);
  }

  appendHeader(name: string, value: HeaderValue): void {
    if (this.#committed) return;
    const raw = this.raw;
    const prior = getHeader.call(raw, name);
    if (prior === undefined) {
      setHeader.call(raw, name, value as string | number | string[]);
      return;
    }
    const add = Array.isArray(value) ? (value as string[]) : [String(value)];
    const have = Array.isArray(prior) ? prior : [String(prior)];
    setHeader.call(raw, name, [...have, ...add]);
  }

  removeHeader(name: string): void {
    if (this.#committed) return;
    removeHeader.call(this.raw, name);
  }

  /** @internal the downstream (a framework handler) produced this body. */
  captureBody(body: ResponseBody | undefined): void {
    this.#body = body;
    this.bodyChanged = false;
    this.#answered = true;
  }

  /** @internal marks an answer without a body (a framework's status-only answer). */
  markAnswered(): void {
    this.#answered = true;
  }

  /** @internal headers are on the wire; later changes are ignored. */
  markCommitted(): void {
    this.#committed = true;
  }
}

const NO_BODY_STATUS = new Set([204, 205, 304]);

/**
 * Writes a held response once, with node's own header methods; `write.end`
 * is the end to call (default: the response's current `end`, so an outer
 * ward layer's capture holds it; a capture passes the writer that was in
 * place before it, past the no-ops it may have left for a late downstream).
 * Returns false if it was already committed.
 */
export function writeResponse(
  response: NodeResponse,
  method: string,
  write: { end(this: ServerResponse, chunk?: unknown): unknown } = response.raw,
): boolean {
  if (response.committed) return false;
  const raw = response.raw;
  response.markCommitted();
  if (raw.headersSent || raw.writableEnded) return false;
  const status = raw.statusCode;
  const body = response.body;
  if (NO_BODY_STATUS.has(status) || (status >= 100 && status < 200)) {
    // RFC 9110 §8.6: no Content-Length on 1xx/204; a 304 carries no content.
    if (status !== 304) removeHeader.call(raw, 'content-length');
    removeHeader.call(raw, 'transfer-encoding');
    end(write, raw);
    return true;
  }
  if (body === undefined) {
    if (!hasHeader.call(raw, 'content-length') && !hasHeader.call(raw, 'transfer-encoding') && method !== 'HEAD') {
      setHeader.call(raw, 'content-length', '0');
    }
    end(write, raw);
    return true;
  }
  if (response.bodyChanged || !hasHeader.call(raw, 'content-length')) {
    setHeader.call(raw, 'content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }
  // A whole body goes with its length, never also chunked (RFC 9112 §6.1: not both framings).
  if (hasHeader.call(raw, 'transfer-encoding')) removeHeader.call(raw, 'transfer-encoding');
  // node drops the body of a HEAD answer by itself, keeping the GET's length.
  end(write, raw, body);
  return true;
}
