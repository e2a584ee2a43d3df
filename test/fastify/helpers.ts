/**
 * Test helpers for @ward/fastify: a real Fastify app listening on a free
 * loopback port, and a logger that records what Fastify logs (to prove a
 * late write is dropped without a "Reply was already sent" warning).
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';

/** A Fastify app listening on 127.0.0.1, port 0. */
export interface Running {
  readonly app: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

/** Builds an app with `setup`, listens, and returns its URL. */
export async function start(
  setup: (app: FastifyInstance) => Promise<void> | void,
  options: FastifyServerOptions = {},
): Promise<Running> {
  const app = Fastify({ logger: false, ...options });
  await setup(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

/** One line Fastify's logger (pino) wrote. */
export interface LogLine {
  level: number;
  msg?: string;
  err?: { message?: string };
}

/** A pino destination that keeps every line, for `Fastify({ logger: { stream } })`. */
export function logRecorder(): { stream: Writable; lines: LogLine[]; warnings(): LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      }
      callback();
    },
  });
  // pino levels: 40 warn, 50 error, 60 fatal.
  return { stream, lines, warnings: () => lines.filter((line) => line.level >= 40) };
}
