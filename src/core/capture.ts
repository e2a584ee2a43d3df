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
import { type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { NodeContext } from './context.js';
import { isWardWriting, writeResponse } from './response.js';

type Callback = (error?: Error | null) => void;
type WriteHead = ServerResponse['writeHead'];
type Write = ServerResponse['write'];
type End = ServerResponse['end'];
type FlushHeaders = () => void;
/** `writeHead` without node's overloads, to forward whatever the caller passed. */
type LooseWriteHead = (this: ServerResponse, status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]) => ServerResponse;
/** `write` without node's overloads, to forward whatever the caller passed. */
type LooseWrite = (this: ServerResponse, chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback) => boolean;

/** Options of a capture. */
export interface CaptureOptions {
  /** Bytes buffered before a growing body is streamed instead. Default: 1 MiB. */
  bufferLimitBytes?: number;
}

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

/**
 * The capture holding a response's writes right now, for the prototype
 * hooks. A WeakMap rather than a property of the response: adding and
 * re-assigning properties on a response per request (Express swaps its
 * prototype first) costs more than the whole rest of the adapter.
 */
const ACTIVE = new WeakMap<ServerResponse, ResponseCapture>();

/** node's own methods, as they were before the prototype hooks. */
interface Writers {
  writeHead: WriteHead;
  write: Write;
  end: End;
  flushHeaders: FlushHeaders;
}
let ORIGINAL: Writers | undefined;
let PROTO_HOOKS: Writers | undefined;

/**
 * Hooks `ServerResponse.prototype` once per process: each hook asks
 * {@link ACTIVE} for a capture and, when there is none (every response no
 * ward capture holds), calls node's method unchanged.
 */
function prototypeHooks(): Writers {
  if (PROTO_HOOKS !== undefined) return PROTO_HOOKS;
  const proto = ServerResponse.prototype;
  const original: Writers = { writeHead: proto.writeHead, write: proto.write, end: proto.end, flushHeaders: proto.flushHeaders };
  const hooks: Writers = {
    writeHead: function writeHead(this: ServerResponse, status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]) {
      const capture = ACTIVE.get(this);
      return capture === undefined ? (original.writeHead as LooseWriteHead).call(this, status, reason, headers) : capture.writeHeadHook(status, reason, headers);
    } as WriteHead,
    write: function write(this: ServerResponse, chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback) {
      const capture = ACTIVE.get(this);
      return capture === undefined ? (original.write as LooseWrite).call(this, chunk, encoding, callback) : capture.writeHook(chunk, encoding, callback);
    } as Write,
    end: function end(this: ServerResponse, chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback) {
      const capture = ACTIVE.get(this);
      return capture === undefined ? original.end.call(this, chunk, encoding as BufferEncoding, callback) : capture.endHook(chunk, encoding, callback);
    } as End,
    flushHeaders: function flushHeaders(this: ServerResponse) {
      const capture = ACTIVE.get(this);
      if (capture === undefined) original.flushHeaders.call(this);
      else capture.flushHeadersHook();
    },
  };
  Object.assign(proto, hooks);
  ORIGINAL = original;
  PROTO_HOOKS = hooks;
  return hooks;
}

/** Where an instance-hooked response keeps its capture. */
const CAPTURE = Symbol('ward.capture');
type Hooked = ServerResponse & { [CAPTURE]: ResponseCapture };

/*
 * Instance hooks, for a response whose writers someone already wrapped (a
 * compression middleware before ward): ours go on top as own properties,
 * so that wrapper stays outside ward and sees what ward finally writes.
 * Shared functions (no closures per request), put back by assignment.
 */
function hookedWriteHead(this: Hooked, status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): ServerResponse {
  return this[CAPTURE].writeHeadHook(status, reason, headers);
}
function hookedWrite(this: Hooked, chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
  return this[CAPTURE].writeHook(chunk, encoding, callback);
}
function hookedEnd(this: Hooked, chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): ServerResponse {
  return this[CAPTURE].endHook(chunk, encoding, callback);
}
function hookedFlushHeaders(this: Hooked): void {
  this[CAPTURE].flushHeadersHook();
}

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
  #prevWriteHead: WriteHead | undefined;
  #prevWrite: Write | undefined;
  #prevEnd: End | undefined;
  #prevFlushHeaders: FlushHeaders | undefined;
  /** A capture installed before this one on the same response, if any. */
  #outer: ResponseCapture | undefined;
  /** How this capture hooks the response: see {@link install}. */
  #mode: 'prototype' | 'instance' = 'prototype';
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

  /**
   * Starts holding the downstream's writes. When the response's writers are
   * node's own (the common case), through the prototype hooks and
   * {@link ACTIVE}: nothing on the response changes. When someone wrapped
   * them, through own properties on top of theirs.
   */
  install(): this {
    const res = this.#res;
    const hooks = prototypeHooks();
    if (res.writeHead === hooks.writeHead && res.write === hooks.write && res.end === hooks.end && res.flushHeaders === hooks.flushHeaders) {
      const outer = ACTIVE.get(res);
      this.#outer = outer;
      if (outer === undefined) {
        const original = ORIGINAL!;
        this.#prevWriteHead = original.writeHead;
        this.#prevWrite = original.write;
        this.#prevEnd = original.end;
        this.#prevFlushHeaders = original.flushHeaders;
      } else {
        // Nested captures (two ward() layers): the inner one forwards to the outer one.
        this.#prevWriteHead = outer.writeHeadHook.bind(outer) as WriteHead;
        this.#prevWrite = outer.writeHook.bind(outer) as Write;
        this.#prevEnd = outer.endHook.bind(outer) as End;
        this.#prevFlushHeaders = outer.flushHeadersHook.bind(outer);
      }
      ACTIVE.set(res, this);
      this.#mode = 'prototype';
    } else {
      this.#installOnInstance();
    }
    this.#state = 'holding';
    return this;
  }

  #installOnInstance(): void {
    const res = this.#res;
    const outer = (res as Partial<Hooked>)[CAPTURE];
    this.#outer = outer;
    this.#prevWriteHead = res.writeHead;
    this.#prevWrite = res.write;
    this.#prevEnd = res.end;
    this.#prevFlushHeaders = res.flushHeaders;
    if (outer !== undefined) {
      // Nested captures: the shared hooks find the capture through the
      // response, so the inner one calls the outer one directly instead.
      if (this.#prevWriteHead === hookedWriteHead) this.#prevWriteHead = outer.writeHeadHook.bind(outer) as WriteHead;
      if (this.#prevWrite === hookedWrite) this.#prevWrite = outer.writeHook.bind(outer) as Write;
      if (this.#prevEnd === hookedEnd) this.#prevEnd = outer.endHook.bind(outer) as End;
      if (this.#prevFlushHeaders === hookedFlushHeaders) this.#prevFlushHeaders = outer.flushHeadersHook.bind(outer);
    }
    (res as Hooked)[CAPTURE] = this;
    res.writeHead = hookedWriteHead as WriteHead;
    res.write = hookedWrite as Write;
    res.end = hookedEnd as End;
    res.flushHeaders = hookedFlushHeaders;
    this.#mode = 'instance';
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
    // Through the writer that was in place before this capture, not the
    // response's current one: an inner layer that dropped a late downstream
    // has put no-ops there.
    writeResponse(this.#ctx.res, this.#ctx.req.method, { end: this.#prevEnd as (this: ServerResponse, chunk?: unknown) => unknown });
    if (stillRunning) this.#drop();
  }

  /** Puts back the methods that were there before, so the framework writes directly again. */
  release(): void {
    if (this.#state === 'released' || this.#state === 'idle') return;
    const res = this.#res;
    if (this.#mode === 'prototype') {
      if (this.#outer === undefined) ACTIVE.delete(res);
      else ACTIVE.set(res, this.#outer);
      this.#state = 'released';
      return;
    }
    // Assigned back even when they were inherited: same behaviour, and no
    // `delete` (see the note on the hooks above).
    res.writeHead = this.#prevWriteHead!;
    res.write = this.#prevWrite!;
    res.end = this.#prevEnd!;
    res.flushHeaders = this.#prevFlushHeaders!;
    (res as Partial<Hooked>)[CAPTURE] = this.#outer;
    this.#state = 'released';
  }

  /** @internal the response's `writeHead` while installed. */
  writeHeadHook(status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): ServerResponse {
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
  }

  /** @internal the response's `write` while installed. */
  writeHook(chunk: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    if (this.#state === 'dropping') return dropWrite(encoding, callback);
    if (this.#state !== 'holding') return this.#prevWrite!.call(this.#res, chunk as string, encoding as BufferEncoding, callback);
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
  }

  /** @internal the response's `end` while installed. */
  endHook(chunk?: unknown, encoding?: BufferEncoding | Callback, callback?: Callback): ServerResponse {
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
      return this.#prevEnd!.call(res, chunk as string, encoding as BufferEncoding, callback);
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
  }

  /** @internal the response's `flushHeaders` while installed. */
  flushHeadersHook(): void {
    if (this.#state === 'holding') this.#startStreaming();
    else if (this.#state === 'streaming' || this.#state === 'released') this.#prevFlushHeaders!.call(this.#res);
  }

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
    const res = this.#res;
    this.#state = 'dropping';
    (res as Hooked)[CAPTURE] = this;
    res.writeHead = droppedWriteHead as WriteHead;
    res.write = hookedWrite as Write;
    res.end = hookedEnd as End;
    res.flushHeaders = droppedFlushHeaders;
    res.setHeader = droppedSetHeader as ServerResponse['setHeader'];
    res.appendHeader = droppedAppendHeader as ServerResponse['appendHeader'];
    res.removeHeader = droppedRemoveHeader;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve();
  }
}

/*
 * What a late downstream finds on the response once ward has answered
 * (rule 4): no-ops — except while ward itself writes (an outer ward layer
 * committing its answer), since node's own `end` calls `this.writeHead`.
 */
const nodeProto = ServerResponse.prototype;
const nodeSetHeader = nodeProto.setHeader;
const nodeAppendHeader = nodeProto.appendHeader;
const nodeRemoveHeader = nodeProto.removeHeader;
function droppedWriteHead(this: ServerResponse, status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): ServerResponse {
  if (!isWardWriting(this)) return this;
  return ((ORIGINAL?.writeHead ?? nodeProto.writeHead) as LooseWriteHead).call(this, status, reason, headers);
}
function droppedFlushHeaders(this: ServerResponse): void {
  if (isWardWriting(this)) (ORIGINAL?.flushHeaders ?? nodeProto.flushHeaders).call(this);
}
function droppedSetHeader(this: ServerResponse, name: string, value: number | string | readonly string[]): ServerResponse {
  return isWardWriting(this) ? nodeSetHeader.call(this, name, value) : this;
}
function droppedAppendHeader(this: ServerResponse, name: string, value: string | readonly string[]): ServerResponse {
  return isWardWriting(this) ? nodeAppendHeader.call(this, name, value) : this;
}
function droppedRemoveHeader(this: ServerResponse, name: string): void {
  if (isWardWriting(this)) nodeRemoveHeader.call(this, name);
}

function dropWrite(encoding: BufferEncoding | Callback | undefined, callback: Callback | undefined): boolean {
  const cb = typeof encoding === 'function' ? encoding : callback;
  if (cb) process.nextTick(cb);
  return true;
}

function toBuffer(chunk: string | Buffer): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}
