/**
 * Per-request CSP nonces: 16+ random bytes in base64 (CSP3 §7.2 "at least
 * 128 bits"), drawn from a pooled buffer refilled with `randomFillSync` (as
 * node's own `randomUUID` does) so a request allocates one short string.
 *
 * The nonce of a request is also kept by the node request object, which
 * every adapter and every nested ward layer of one request share (Express
 * and Fastify give each `ward()` layer its own `ctx.state`), so framework
 * handlers read it with `cspNonce(req)` and route-level additions find it.
 */
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from '@ward/core';
import type { CompiledAdditions } from './csp-policy.js';
import { DEFAULT_NONCE_BYTES } from './options.js';

declare module '@ward/core' {
  interface WardState {
    /**
     * This request's CSP nonce (base64), set by `securityHeaders()` when a
     * directive lists `'nonce'`: write it in `<script nonce="…">`.
     */
    cspNonce?: string;
  }
}

/** Random bytes for nonces; inject one in tests. */
export type RandomBytes = (size: number) => Uint8Array;

/** Makes nonces of a fixed size. */
export interface NonceSource {
  next(): string;
}

const POOL_BYTES = 4096;

class PooledNonces implements NonceSource {
  readonly #size: number;
  // allocUnsafeSlow: a buffer of its own, never a slice of node's shared pool.
  readonly #pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  #offset = POOL_BYTES;

  constructor(size: number) {
    this.#size = size;
  }

  next(): string {
    const size = this.#size;
    if (this.#offset + size > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const start = this.#offset;
    this.#offset = start + size;
    // Each byte is handed out once.
    return this.#pool.toString('base64', start, start + size);
  }
}

class InjectedNonces implements NonceSource {
  readonly #size: number;
  readonly #random: RandomBytes;

  constructor(size: number, random: RandomBytes) {
    this.#size = size;
    this.#random = random;
  }

  next(): string {
    const bytes = this.#random(this.#size);
    if (!(bytes instanceof Uint8Array) || bytes.byteLength < this.#size) {
      throw new TypeError(`securityHeaders: randomBytes(${this.#size}) must return a Uint8Array of at least ${this.#size} bytes`);
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, this.#size).toString('base64');
  }
}

/** A nonce source of `size` bytes: pooled `crypto` randomness, or `random` when injected. */
export function nonceSource(size: number, random: RandomBytes | undefined): NonceSource {
  return random === undefined ? new PooledNonces(size) : new InjectedNonces(size, random);
}

/** The default source of `cspAdditions()`, created on first use. */
let sharedSource: NonceSource | undefined;

/** Nonces by request: one per request, shared by every policy and every ward layer. */
const NONCES = new WeakMap<IncomingMessage, string>();
/** `cspAdditions()` of the request, in the order they ran. */
const ADDITIONS = new WeakMap<IncomingMessage, CompiledAdditions[]>();

/** The source a `securityHeaders()` with its own `nonceBytes`/`randomBytes` lent the request, for `cspAdditions()`. */
const SOURCES = new WeakMap<IncomingMessage, NonceSource>();

/** Lends `source` to the request's later `cspAdditions()` (whose base policy has no nonce of its own). */
export function lendNonceSource(ctx: Context, source: NonceSource): void {
  SOURCES.set(ctx.raw.req, source);
}

/** The nonce of this request (made with `source` on first use, else the one lent to it); also sets `ctx.state.cspNonce`. */
export function requestNonce(ctx: Context, source: NonceSource | undefined): string {
  const raw = ctx.raw.req;
  let nonce = NONCES.get(raw);
  if (nonce === undefined) {
    nonce = (source ?? SOURCES.get(raw) ?? (sharedSource ??= nonceSource(DEFAULT_NONCE_BYTES, undefined))).next();
    NONCES.set(raw, nonce);
  }
  ctx.state.cspNonce = nonce;
  return nonce;
}

/** The nonce already made for this request, if any. */
export function existingNonce(ctx: Context): string | undefined {
  return NONCES.get(ctx.raw.req);
}

/** Records a route's additions for this request. */
export function addAdditions(ctx: Context, additions: CompiledAdditions): void {
  const raw = ctx.raw.req;
  const list = ADDITIONS.get(raw);
  if (list === undefined) ADDITIONS.set(raw, [additions]);
  else list.push(additions);
}

/** The route additions recorded for this request. */
export function additionsOf(ctx: Context): readonly CompiledAdditions[] | undefined {
  return ADDITIONS.get(ctx.raw.req);
}

/**
 * The CSP nonce of a request, for handlers that do not see `ctx.state`
 * (Express, Fastify, node:http): pass Express's `req`, Fastify's `request`
 * (or `request.raw`), or node's `IncomingMessage`. `undefined` when no
 * policy of the request uses `'nonce'`.
 *
 * @example
 * app.get('/', (req, res) => {
 *   res.send(`<script nonce="${cspNonce(req)}">boot()</script>`);
 * });
 */
export function cspNonce(req: IncomingMessage | { readonly raw: IncomingMessage }): string | undefined {
  const raw = 'raw' in req && typeof req.raw === 'object' && req.raw !== null ? req.raw : (req as IncomingMessage);
  return NONCES.get(raw);
}
