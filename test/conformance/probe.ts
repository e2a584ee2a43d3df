/**
 * What the scenarios and the targets share: the handler kinds every target
 * implements natively, their exact outputs, the standard route table, and the
 * Probe — one per scenario run — through which handlers and middleware record
 * what happened (counts, order, errors, events) without sleeps.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { type Deferred, deferred } from '@ward/core/testing';

/** The handlers every target implements with its framework's own API. */
export type HandlerKind =
  | 'json'
  | 'created'
  | 'text'
  | 'throwSync'
  | 'rejectAsync'
  | 'stream'
  | 'streamThenThrow'
  | 'slow'
  | 'hang'
  | 'echoBody';

export const HANDLER_KINDS: readonly HandlerKind[] = [
  'json',
  'created',
  'text',
  'throwSync',
  'rejectAsync',
  'stream',
  'streamThenThrow',
  'slow',
  'hang',
  'echoBody',
];

/** One route: a method, an exact path (no params), and the handler kind behind it. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  kind: HandlerKind;
}

/**
 * The route table every scenario gets unless it brings its own. `notFound` is
 * any path not listed here (the scenarios use `/nope`).
 */
export const STANDARD_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/json', kind: 'json' },
  { method: 'POST', path: '/created', kind: 'created' },
  { method: 'GET', path: '/text', kind: 'text' },
  { method: 'GET', path: '/throw', kind: 'throwSync' },
  { method: 'GET', path: '/reject', kind: 'rejectAsync' },
  { method: 'GET', path: '/stream', kind: 'stream' },
  { method: 'GET', path: '/stream-fail', kind: 'streamThenThrow' },
  { method: 'GET', path: '/slow', kind: 'slow' },
  { method: 'GET', path: '/hang', kind: 'hang' },
  { method: 'POST', path: '/echo', kind: 'echoBody' },
];

/** `json`: 200 with this body, `application/json; charset=utf-8`. */
export const JSON_BODY = { hello: 'world' } as const;
/** `created`: 201 with this body, header `x-handler: 1`. */
export const CREATED_BODY = { created: true } as const;
/** `text`: 200 with this body, `text/plain; charset=utf-8`. */
export const TEXT_BODY = 'hello from the handler';
/**
 * `stream`: these chunks, each on its own tick, `text/plain; charset=utf-8`.
 * `streamThenThrow`: the first chunk, then (once the test releases
 * `probe.midStream`) an error — after the response head is on the wire.
 */
export const STREAM_CHUNKS: readonly string[] = ['one\n', 'two\n', 'three\n'];
/** `slow`: 200 with this body, written only after the test releases it. */
export const LATE_BODY = { late: true } as const;
export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

const FAILURES = { throwSync: 'handler exploded', rejectAsync: 'handler rejected', streamThenThrow: 'stream broke' } as const;

/** The chunks of `stream`, one per turn of the event loop. */
export async function* streamChunks(): AsyncGenerator<string> {
  for (let i = 0; i < STREAM_CHUNKS.length; i++) {
    if (i > 0) await tick();
    yield STREAM_CHUNKS[i]!;
  }
}

/** The chunks of `streamThenThrow`: the first one, then the error once released. */
export async function* failingChunks(probe: Probe): AsyncGenerator<string> {
  yield STREAM_CHUNKS[0]!;
  await probe.midStream.promise;
  throw probe.failure('streamThenThrow');
}

/**
 * Records one scenario run. Targets call the handler-side methods; ward
 * middleware in scenarios call the rest; tests read everything.
 */
export class Probe {
  /** How many times each handler ran. */
  readonly counts: Record<HandlerKind, number> = Object.fromEntries(HANDLER_KINDS.map((k) => [k, 0])) as Record<HandlerKind, number>;
  /** Ordered events: middleware push their own entries; every handler pushes `handler`. */
  readonly log: string[] = [];
  /** Errors the `throwSync`/`rejectAsync` handlers threw, in order (for identity checks). */
  readonly thrown: Error[] = [];
  /** Errors ward middleware caught from `next()`, in order. */
  readonly caught: unknown[] = [];
  /** Values ward middleware observed, by name (status after next, ip, …). */
  readonly seen: Record<string, unknown> = {};
  /** Errors the engine and node adapters passed to `onError`. */
  readonly unhandled: unknown[] = [];
  /** `slow`: started → the test resolves `release` → the handler writes → `finished` (with its write error, if any). */
  readonly slow = {
    started: deferred<void>(),
    release: deferred<void>(),
    finished: deferred<{ error?: unknown }>(),
  };
  /** `streamThenThrow` waits for this (the client has the first chunk) before failing. */
  readonly midStream = deferred<void>();
  /** `hang`: started, and its request closed. */
  readonly hang = { started: deferred<void>(), closed: deferred<void>() };
  /** Named meeting points for middleware and tests. */
  readonly #events = new Map<string, Deferred<unknown>>();

  /** A handler started. */
  ran(kind: HandlerKind): void {
    this.counts[kind] += 1;
    this.log.push('handler');
  }

  /** The error a failing handler throws (`handler exploded`, `handler rejected`, `stream broke`), remembered for identity checks. */
  failure(kind: 'throwSync' | 'rejectAsync' | 'streamThenThrow'): Error {
    const error = new Error(FAILURES[kind]);
    this.thrown.push(error);
    return error;
  }

  /** A named event: `event(name).resolve(value)` on one side, `await event(name).promise` on the other. */
  event<T = unknown>(name: string): Deferred<T> {
    let d = this.#events.get(name);
    if (d === undefined) {
      d = deferred<unknown>();
      this.#events.set(name, d);
    }
    return d as Deferred<T>;
  }

  /** Runs the `slow` handler's late write, recording whether the framework threw. */
  async lateWrite(write: () => unknown): Promise<void> {
    this.slow.started.resolve();
    await this.slow.release.promise;
    try {
      await write();
      this.slow.finished.resolve({});
    } catch (error) {
      this.slow.finished.resolve({ error });
    }
  }
}

/** A body as text, whatever the adapter holds (string, Buffer, Uint8Array). */
export function bodyText(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return `[${typeof body}]`;
}
