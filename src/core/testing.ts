/**
 * @ward/core/testing — small helpers for testing middleware and adapters over
 * real sockets, with nothing but node: start a server on a free port, send
 * requests with node:http (raw headers, HEAD, keep-alive), cut a connection
 * at a chosen moment, and wait for events instead of sleeping.
 *
 * @example
 * import { listen, request } from '@ward/core/testing';
 * const server = await listen(wardListener([requestId()], (req, res) => res.end('hi')));
 * const res = await request(`${server.url}/`);
 * expect(res.status).toBe(200);
 * await server.close();
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A server listening on 127.0.0.1 on a free port. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly server: http.Server;
  /** Stops listening and destroys every connection still open (keep-alive, hung requests). Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens on port 0 of 127.0.0.1. Accepts a request listener (a server is
 * created for it) or a server (Express `app` is a listener; for Fastify pass
 * `app.server` after `await app.ready()`). A server already listening is used
 * as it is.
 *
 * @example
 * const { url, close } = await listen(engine.handler);
 */
export async function listen(target: http.RequestListener | http.Server): Promise<TestServer> {
  let server: http.Server;
  if (target instanceof http.Server) server = target;
  else if (typeof target === 'function') server = http.createServer(target);
  else throw new TypeError(`listen(target): expected a request listener or an http.Server, got ${describe(target)}`);

  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    port: address.port,
    server,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        // The callback gets ERR_SERVER_NOT_RUNNING when someone closed it first: closed either way.
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** What {@link request} sends. */
export interface TestRequestOptions {
  /** Default: `GET`. */
  method?: string;
  /**
   * Headers as an object, or raw `[name, value, name, value, …]` to send
   * repeated or oddly cased headers exactly as written (a `Host` header is
   * put first when the list has none).
   */
  headers?: http.OutgoingHttpHeaders | readonly string[];
  /** Sent in one piece; node adds `Content-Length` unless `chunked` is set or a length header is given. */
  body?: string | Uint8Array;
  /** Send the body with `Transfer-Encoding: chunked` and no `Content-Length`. Default: `false`. */
  chunked?: boolean;
  /** Agent to use, e.g. {@link keepAliveAgent}. Default: a fresh connection per request (`false`). */
  agent?: http.Agent | false;
}

/** What {@link request} received. */
export interface TestResponse {
  status: number;
  /** The reason phrase of the status line, as sent. */
  statusMessage: string;
  /** Lower-case names; repeated headers as node joins them (`set-cookie` is an array). */
  headers: http.IncomingHttpHeaders;
  /** Names and values exactly as received. */
  rawHeaders: string[];
  body: Buffer;
  /** The body decoded as UTF-8. */
  text: string;
  /** True when the request went over a connection an agent had already used (keep-alive). */
  reusedSocket: boolean;
  /** Parses {@link text} as JSON; throws with the text when it is not JSON. */
  json<T = unknown>(): T;
}

/** The connection closed before the response was complete; what arrived is attached. */
export class ResponseAbortedError extends Error {
  override readonly name = 'ResponseAbortedError';
  readonly code: string | undefined;
  /** The status, when the status line arrived before the cut. */
  readonly status: number | undefined;
  /** The bytes of the body received before the cut. */
  readonly received: Buffer;

  constructor(cause: Error & { code?: string }, status: number | undefined, received: Buffer) {
    super(`response aborted: ${cause.message}`, { cause });
    this.code = cause.code;
    this.status = status;
    this.received = received;
  }
}

/**
 * Sends one request with node:http (not fetch: raw and odd headers go out as
 * written, HEAD has no body) and reads the whole response. Rejects with
 * {@link ResponseAbortedError} when the server cuts the connection mid-way.
 *
 * @example
 * const res = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
 * expect(res.json()).toEqual({ a: 1 });
 */
export function request(url: string, options: TestRequestOptions = {}): Promise<TestResponse> {
  return new Promise<TestResponse>((resolve, reject) => {
    const req = send(url, options);
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', (error: Error) => reject(new ResponseAbortedError(error, res.statusCode, Buffer.concat(chunks))));
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          text,
          reusedSocket: req.reusedSocket,
          json<T>(): T {
            try {
              return JSON.parse(text) as T;
            } catch {
              throw new SyntaxError(`response body is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
            }
          },
        });
      });
    });
  });
}

/**
 * An agent that keeps one connection open and reuses it, to prove a
 * connection stays usable after an answer (`res.reusedSocket` is then true on
 * the second request). Call `agent.destroy()` when done.
 */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

/** When {@link abortAfter} destroys the client socket. */
export type AbortMoment = 'sent' | 'headers' | 'first-chunk' | PromiseLike<unknown>;

/** What the client had received when it destroyed its socket. */
export interface AbortedExchange {
  /** The status, if the response head arrived before the cut. */
  status: number | undefined;
  received: Buffer;
}

/**
 * Opens a request and destroys the client's socket at a chosen moment, to
 * test what the server does when the client goes away:
 * - `'sent'`: once the whole request is written;
 * - `'headers'`: once the response head arrives;
 * - `'first-chunk'`: once the first body bytes arrive;
 * - a promise: when it settles (e.g. a deferred the handler resolves when it
 *   starts, so the cut happens while the server is working).
 * Resolves when the socket is closed.
 *
 * @example
 * const started = deferred();
 * await abortAfter(`${url}/slow`, { after: started.promise });
 */
export function abortAfter(url: string, options: TestRequestOptions & { after: AbortMoment }): Promise<AbortedExchange> {
  const { after } = options;
  if (after !== 'sent' && after !== 'headers' && after !== 'first-chunk' && typeof (after as PromiseLike<unknown>)?.then !== 'function') {
    throw new TypeError(`abortAfter: after must be 'sent', 'headers', 'first-chunk' or a promise, got ${describe(after)}`);
  }
  return new Promise<AbortedExchange>((resolve) => {
    const received: Buffer[] = [];
    let status: number | undefined;
    let done = false;
    const req = send(url, options, () => {
      if (after === 'sent') cut();
    });
    const cut = (): void => {
      if (done) return;
      done = true;
      const socket = req.socket;
      const finish = (): void => resolve({ status, received: Buffer.concat(received) });
      if (socket === null || socket.destroyed) {
        req.destroy();
        finish();
        return;
      }
      socket.once('close', finish);
      req.destroy();
      socket.destroy();
    };
    // Errors are the point of this helper: the destroy itself raises ECONNRESET here.
    req.on('error', () => {});
    req.once('response', (res) => {
      status = res.statusCode;
      res.on('error', () => {});
      res.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (after === 'first-chunk') cut();
      });
      if (after === 'headers') cut();
    });
    req.once('close', () => {
      if (!done) {
        done = true;
        resolve({ status, received: Buffer.concat(received) });
      }
    });
    if (typeof after === 'object' || typeof after === 'function') {
      (after as PromiseLike<unknown>).then(cut, cut);
    }
  });
}

/** A promise with its resolve/reject exposed, for handlers and tests that meet at an event. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(reason?: unknown): void;
  /** True once resolve or reject was called. */
  readonly settled: boolean;
}

/**
 * Creates a {@link Deferred}.
 *
 * @example
 * const release = deferred<void>();
 * app.get('/slow', async () => { await release.promise; … });
 * release.resolve();
 */
export function deferred<T = void>(): Deferred<T> {
  let settle!: { resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
  let settled = false;
  const promise = new Promise<T>((resolve, reject) => {
    settle = { resolve, reject };
  });
  return {
    promise,
    resolve(value) {
      settled = true;
      settle.resolve(value);
    },
    reject(reason) {
      settled = true;
      settle.reject(reason);
    },
    get settled() {
      return settled;
    },
  };
}

/** Anything with `once` (node emitters) or `addEventListener` (AbortSignal, EventTarget). */
export type EventSource =
  | { once(event: string, listener: (...args: unknown[]) => void): unknown }
  | { addEventListener(event: string, listener: (event: unknown) => void, options?: { once?: boolean }): unknown };

/**
 * Resolves with the first argument of the next `event` (the Event object for
 * an EventTarget). Unlike `events.once`, an `error` event does not reject:
 * waiting for `error` is allowed.
 *
 * @example
 * await once(res, 'close');
 * await once(ctx.signal, 'abort');
 */
export function once<T = unknown>(source: EventSource, event: string): Promise<T> {
  return new Promise<T>((resolve) => {
    if ('once' in source && typeof source.once === 'function') {
      source.once(event, (...args: unknown[]) => resolve(args[0] as T));
    } else if ('addEventListener' in source && typeof source.addEventListener === 'function') {
      source.addEventListener(event, (value: unknown) => resolve(value as T), { once: true });
    } else {
      throw new TypeError(`once(source, ${JSON.stringify(event)}): source has neither once() nor addEventListener()`);
    }
  });
}

function send(url: string, options: TestRequestOptions, onSent?: () => void): http.ClientRequest {
  const target = new URL(url);
  let headers = options.headers as http.OutgoingHttpHeaders | string[] | undefined;
  // node sends raw header arrays as written, without adding Host; HTTP/1.1 requires one (RFC 9112 §3.2).
  if (Array.isArray(headers) && !headers.some((value, i) => i % 2 === 0 && value.toLowerCase() === 'host')) {
    headers = ['Host', target.host, ...headers];
  }
  const req = http.request({
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port,
    path: `${target.pathname}${target.search}`,
    method: options.method ?? 'GET',
    headers,
    agent: options.agent ?? false,
  });
  const body = options.body;
  if (body !== undefined && options.chunked === true) {
    req.write(body);
    req.end(onSent);
  } else {
    req.end(body, onSent);
  }
  return req;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}
