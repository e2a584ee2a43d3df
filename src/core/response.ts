/**
 * The response a chain is building, kept in node's own header store so that
 * headers a framework sets (`res.setHeader`, Express `res.set`) and headers a
 * middleware sets are one set. Status, body and the answered/committed flags
 * are held here until the adapter writes the response once (rule 2).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { HeaderValue, ResponseBody, WardResponse } from './types.js';

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
    const value = this.raw.getHeader(name);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.raw.getHeader(name);
  }

  hasHeader(name: string): boolean {
    return this.raw.hasHeader(name);
  }

  headers(): OutgoingHttpHeaders {
    return this.raw.getHeaders();
  }

  setHeader(name: string, value: HeaderValue): void {
    if (this.#committed) return;
    this.raw.setHeader(name, value as string | number | string[]);
  }

  appendHeader(name: string, value: HeaderValue): void {
    if (this.#committed) return;
    const prior = this.raw.getHeader(name);
    if (prior === undefined) {
      this.raw.setHeader(name, value as string | number | string[]);
      return;
    }
    const add = Array.isArray(value) ? (value as string[]) : [String(value)];
    const have = Array.isArray(prior) ? prior : [String(prior)];
    this.raw.setHeader(name, [...have, ...add]);
  }

  removeHeader(name: string): void {
    if (this.#committed) return;
    this.raw.removeHeader(name);
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

/** Writes a held response with node's own methods, once. Returns false if it was already committed. */
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
    if (status !== 304) raw.removeHeader('content-length');
    raw.removeHeader('transfer-encoding');
    write.end.call(raw);
    return true;
  }
  if (body === undefined) {
    if (!raw.hasHeader('content-length') && !raw.hasHeader('transfer-encoding') && method !== 'HEAD') {
      raw.setHeader('content-length', '0');
    }
    write.end.call(raw);
    return true;
  }
  if (response.bodyChanged || !raw.hasHeader('content-length')) {
    raw.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    raw.removeHeader('transfer-encoding');
  }
  // node drops the body of a HEAD answer by itself, keeping the GET's length.
  write.end.call(raw, body);
  return true;
}
