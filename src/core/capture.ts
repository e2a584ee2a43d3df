/**
 * Deferred commit for downstream code that writes through node's
 * ServerResponse API (Express handlers, plain node handlers): their
 * writeHead/write/end are held in the context, so code after `await next()`
 * can still read and change status, headers and body (rule 2).
 *
 * A handler that streams (a write not followed by end() before the next
 * turn of the event loop, a body past the buffer limit, or flushHeaders())
 * is committed and passed through untouched (rule 3).
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { NodeContext } from './context.js';
import { writeResponse } from './response.js';

type Callback = (error?: Error | null) => void;
type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders' | 'setHeader' | 'appendHeader' | 'removeHeader';
const METHODS: readonly Method[] = ['writeHead', 'write', 'end', 'flushHeaders', 'setHeader', 'appendHeader', 'removeHeader'];

/** Options of a capture. */
export interface CaptureOptions {
  /** Bytes buffered before a growing body is streamed instead. Default: 1 MiB. */
  bufferLimitBytes?: number;
}

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

/**
 * Holds one downstream's writes. `done` settles when the downstream has
 * answered (or finished streaming), or rejects through {@link fail}.
 */
export class ResponseCapture {
  readonly done: Promise<void>;
  readonly #ctx: NodeContext;
  readonly #res: ServerResponse;
  readonly #limit: number;
  /** The methods in place before ours (node's, or another middleware's wrappers). */
  readonly #previous = new Map<Method, { own: boolean; fn: unknown }>();
  #chunks: (string | Buffer)[] = [];
  #size = 0;
  #state: 'idle' | 'holding' | 'streaming' | 'ended' | 'dropping' | 'released' = 'idle';
  #flushScheduled = false;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  #settled = false;

  constructor(ctx: NodeContext, options: CaptureOptions = {}) {
    this.#ctx = ctx;
    this.#res = ctx.raw.res;
    this.#limit = options.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Starts holding the downstream's writes. */
  install(): this {
    const res = this.#res as unknown as Record<Method, unknown>;
    for (const name of METHODS) {
      this.#previous.set(name, { own: Object.prototype.hasOwnProperty.call(res, name), fn: res[name] });
    }
    res.writeHead = this.#writeHead;
    res.write = this.#write;
    res.end = this.#end;
    res.flushHeaders = this.#flushHeaders;
    this.#state = 'holding';
    return this;
  }

  /** The downstream failed: `done` rejects with its error (and a response already streaming is cut). */
  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    // Mid-stream, the half-sent body can never be completed, whoever catches
    // the error: cut the connection so the client sees an aborted response
    // instead of waiting forever.
    if (this.#state === 'streaming') this.#res.destroy();
    this.#reject(error);
  }

  /** True once the downstream answered or streamed. */
  get settled(): boolean {
    return this.#settled;
  }

  /** True while the downstream is streaming (headers are on the wire). */
  get streaming(): boolean {
    return this.#state === 'streaming';
  }

  /**
   * The chain has finished: write what the context holds, once. If the
   * downstream is still running (a timeout answered first), what it writes
   * later is dropped silently (rule 4).
   */
  commit(): void {
    if (this.#state === 'streaming' || this.#state === 'released' || this.#state === 'dropping') return;
    const stillRunning = this.#state === 'holding' && !this.#settled;
    this.release();
    writeResponse(this.#ctx.res, this.#ctx.req.method);
    if (stillRunning) this.#drop();
  }

  /** Puts back the methods that were there before, so the framework writes directly again. */
  release(): void {
    if (this.#state === 'released') return;
    const res = this.#res as unknown as Record<Method, unknown>;
    for (const [name, { own, fn }] of this.#previous) {
      if (own) res[name] = fn;
      else delete res[name];
    }
    this.#state = 'released';
  }

  #previousFn<F>(name: Method): F {
    return this.#previous.get(name)!.fn as F;
  }

  #writeHead = (status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): ServerResponse => {
    const res = this.#res;
    if (this.#state !== 'holding') return res;
    res.statusCode = status;
    let fields = headers;
    if (typeof reason === 'string') res.statusMessage = reason;
    else fields = reason;
    if (Array.isArray(fields)) {
      // Raw [name, value, name, value] form.
      for (let i = 0; i + 1 < fields.length; i += 2) res.setHeader(String(fields[i]), fields[i + 1] as string);
    } else if (fields !== undefined) {
      for (const name of Object.keys(fields)) {
        const value = fields[name];
        if (value !== undefined) res.setHeader(name, value);
      }
    }
    return res;
  };

  #write = (chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean => {
    if (this.#state === 'dropping') return dropWrite(encoding, callback);
    if (this.#state !== 'holding') return this.#previousFn<ServerResponse['write']>('write').call(this.#res, chunk as string, encoding as BufferEncoding, callback);
    this.#hold(chunk, encoding);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (cb) process.nextTick(cb);
    if (this.#size > this.#limit) {
      this.#startStreaming();
    } else if (!this.#flushScheduled) {
      // A write not followed by end() in this turn is a stream (SSE, pipe).
      this.#flushScheduled = true;
      setImmediate(() => {
        if (this.#state === 'holding') this.#startStreaming();
      });
    }
    return true;
  };

  #end = (chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): ServerResponse => {
    const res = this.#res;
    if (typeof chunk === 'function') {
      callback = chunk as Callback;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (this.#state === 'dropping') {
      if (callback) process.nextTick(callback);
      this.#settle();
      return res;
    }
    if (this.#state !== 'holding') {
      return this.#previousFn<ServerResponse['end']>('end').call(res, chunk as string, encoding as BufferEncoding, callback);
    }
    if (chunk !== undefined && chunk !== null) this.#hold(chunk, encoding);
    if (callback) res.once('finish', callback);
    this.#state = 'ended';
    const chunks = this.#chunks;
    this.#ctx.res.captureBody(
      chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks.map(toBuffer)),
    );
    this.#chunks = [];
    this.#settle();
    return res;
  };

  #flushHeaders = (): void => {
    if (this.#state === 'holding') this.#startStreaming();
    else if (this.#state === 'streaming' || this.#state === 'released') this.#previousFn<() => void>('flushHeaders').call(this.#res);
  };

  #hold(chunk: unknown, encoding: BufferEncoding | Callback | undefined): void {
    let piece: string | Buffer;
    if (typeof chunk === 'string') {
      piece = typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8' ? Buffer.from(chunk, encoding) : chunk;
    } else if (chunk instanceof Uint8Array) {
      piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else {
      throw new TypeError(`The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${typeof chunk}`);
    }
    this.#chunks.push(piece);
    this.#size += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength;
  }

  /** The downstream streams: headers go out as they are now, bytes pass through. */
  #startStreaming(): void {
    const res = this.#res;
    const ctx = this.#ctx;
    const chunks = this.#chunks;
    this.#chunks = [];
    this.release();
    this.#state = 'streaming';
    ctx.res.markAnswered();
    ctx.res.markCommitted();
    res.once('close', () => this.#settle());
    res.flushHeaders();
    for (const chunk of chunks) res.write(chunk);
  }

  /** After ward answered on its own, a late handler's writes go nowhere. */
  #drop(): void {
    const res = this.#res as unknown as Record<Method, unknown>;
    this.#state = 'dropping';
    res.writeHead = () => this.#res;
    res.write = this.#write;
    res.end = this.#end;
    res.flushHeaders = noop;
    res.setHeader = () => this.#res;
    res.appendHeader = () => this.#res;
    res.removeHeader = noop;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve();
  }
}

function noop(): void {}

function dropWrite(encoding: BufferEncoding | Callback | undefined, callback: Callback | undefined): boolean {
  const cb = typeof encoding === 'function' ? encoding : callback;
  if (cb) process.nextTick(cb);
  return true;
}

function toBuffer(chunk: string | Buffer): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}
