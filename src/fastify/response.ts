/**
 * `ctx.res` on Fastify. Fastify keeps the headers a route sets
 * (`reply.header()`, the `content-type` `reply.send()` picks) in its own store
 * and merges them over node's at `writeHead`. This response reads and writes
 * headers through the reply (`reply.getHeader()` sees both stores,
 * `reply.removeHeader()` clears both), so a middleware sees the route's
 * headers after `next()` and what it removes stays removed, without copying
 * headers between stores — and node's `writeHead` keeps its fast path.
 * Status, body and the answered/committed flags are core's.
 */
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import { type HeaderValue, NodeResponse } from '@ward/core';

export class FastifyResponse extends NodeResponse {
  readonly #reply: FastifyReply;

  constructor(reply: FastifyReply) {
    super(reply.raw);
    this.#reply = reply;
  }

  override header(name: string): string | undefined {
    const value = this.#reply.getHeader(name) as string | number | string[] | undefined;
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }

  override getHeader(name: string): string | number | string[] | undefined {
    return this.#reply.getHeader(name) as string | number | string[] | undefined;
  }

  override hasHeader(name: string): boolean {
    return this.#reply.hasHeader(name);
  }

  override headers(): OutgoingHttpHeaders {
    return this.#reply.getHeaders() as OutgoingHttpHeaders;
  }

  override setHeader(name: string, value: HeaderValue): void {
    if (this.committed) return;
    // Fastify validates only at writeHead, far from the caller: fail here, as node's setHeader does.
    validateHeaderName(name);
    // node checks numbers and lists too (@types/node says string).
    validateHeaderValue(name, value as string);
    const reply = this.#reply;
    // reply.header() appends to an existing Set-Cookie; setHeader replaces.
    if (name.length === 10 && name.toLowerCase() === 'set-cookie') reply.removeHeader(name);
    reply.header(name, Array.isArray(value) ? [...(value as readonly string[])] : value);
  }

  override appendHeader(name: string, value: HeaderValue): void {
    if (this.committed) return;
    const prior = this.getHeader(name);
    if (prior === undefined) {
      this.setHeader(name, value);
      return;
    }
    const add = Array.isArray(value) ? (value as readonly string[]) : [String(value)];
    const have = Array.isArray(prior) ? prior : [String(prior)];
    this.setHeader(name, [...have, ...add]);
  }

  override removeHeader(name: string): void {
    if (this.committed) return;
    this.#reply.removeHeader(name);
  }
}
