/**
 * Test helpers for @ward/logger: a pino-compatible logger that keeps what
 * it is given, a stepping clock, and an engine app with the usual routes
 * served over a real socket.
 */
import { HttpError, type Middleware } from '@ward/core';
import { Engine, type EngineContext } from '@ward/engine';
import type { LogLevel, StructuredLogger } from '@ward/logger';
import type { Registry } from 'prom-client';

/** One call the memory logger received. */
export interface Entry {
  level: LogLevel;
  record: Record<string, unknown>;
  message: string | undefined;
}

/** A pino-compatible logger that records its calls; `waitFor(n)` resolves once n entries arrived. */
export class MemoryLogger implements StructuredLogger {
  readonly entries: Entry[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  info(record: object, message?: string): void {
    this.#push('info', record, message);
  }

  warn(record: object, message?: string): void {
    this.#push('warn', record, message);
  }

  error(record: object, message?: string): void {
    this.#push('error', record, message);
  }

  /** The records only. */
  get records(): Record<string, unknown>[] {
    return this.entries.map((e) => e.record);
  }

  /** Resolves once `count` entries have arrived (records are written after the response is decided, so a client may see the answer first). */
  waitFor(count: number): Promise<void> {
    if (this.entries.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  #push(level: LogLevel, record: object, message: string | undefined): void {
    this.entries.push({ level, record: record as Record<string, unknown>, message });
    this.#waiters = this.#waiters.filter((w) => {
      if (this.entries.length < w.count) return true;
      w.resolve();
      return false;
    });
  }
}

/** A monotonic clock that advances `stepMs` on every read: each request lasts exactly `stepMs`. */
export function steppingClock(stepMs: number): () => number {
  let t = 10_000;
  return () => (t += stepMs);
}

/** Sets request ids as @ward/request-id would. */
export const ids: Middleware = async function ids(ctx, next) {
  ctx.state.requestId = 'req-1';
  ctx.state.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await next();
};

/** Sets `ctx.state.user` as @ward/auth will. */
export function asUser(user: unknown): Middleware {
  return async function asUser(ctx, next) {
    (ctx.state as { user?: unknown }).user = user;
    await next();
  };
}

/** The value of `name{labels}` in an exposition, or undefined. */
export async function metricValue(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** An engine with the routes the tests use, listening on 127.0.0.1. */
export async function engineApp(chain: Middleware[], extra?: (engine: Engine) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const engine = new Engine({ onError: () => {} });
  engine.use(...(chain as Middleware<EngineContext>[]));
  engine.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') }));
  engine.post('/users', (ctx) => ctx.json(201, { created: true }));
  engine.put('/users/:id', (ctx) => ctx.json(200, { updated: ctx.param('id') }));
  engine.delete('/users/:id', (ctx) => ctx.respond(204));
  engine.get('/text', (ctx) => ctx.text(200, 'héllo'));
  engine.get('/bytes', (ctx) => ctx.respond(200, new Uint8Array([1, 2, 3])));
  engine.get('/boom', () => {
    throw new Error('secret detail in the message');
  });
  engine.get('/limited', () => {
    throw new HttpError(429, { code: 'RATE_LIMITED' });
  });
  engine.get('/stream', (ctx) =>
    ctx.stream(
      (async function* chunks() {
        yield 'one\n';
        yield 'two\n';
      })(),
      { contentType: 'text/plain' },
    ),
  );
  extra?.(engine);
  const server = await engine.listen({ port: 0, host: '127.0.0.1' });
  return { url: server.url, close: () => server.shutdown({ timeoutMs: 1_000 }) };
}
