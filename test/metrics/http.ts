/**
 * Test helpers: a real server on 127.0.0.1:0 and a node:http client that
 * can send any method (fetch refuses some) and reuses connections.
 */
import { Agent, type IncomingHttpHeaders, type RequestListener, type Server, createServer, request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Context, Middleware } from '@ward/core';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Listens on a free port on 127.0.0.1. */
export async function listen(listener: RequestListener | Server): Promise<Listening> {
  const server = typeof listener === 'function' ? createServer(listener) : listener;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One request; resolves with status, headers and the body as text. */
export function send(url: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    // The path goes out exactly as given: no URL normalisation of `..` or `//`.
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `count` requests, `concurrency` at a time. */
export async function sendMany(count: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await one(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * A minimal router for the node adapter, which has none: on a match it
 * records the route template where a router would (`ctx.req.route`) and
 * runs the handler.
 */
export function route(method: string, template: string, handler: Middleware): Middleware {
  const pattern = new RegExp(`^${template.replace(/:[a-zA-Z]+/g, '[^/]+')}$`);
  return async function route(ctx: Context, next) {
    if (ctx.req.method !== method || !pattern.test(ctx.req.path)) return next();
    setRoute(ctx, template);
    return handler(ctx, next);
  };
}

/** Sets `ctx.req.route` the way the engine's router does. */
export function setRoute(ctx: Context, template: string): void {
  (ctx.req as unknown as { matchedRoute: string | undefined }).matchedRoute = template;
}

/** The lines of an exposition that start with `name` (`name{` or `name `). */
export function linesOf(exposition: string, name: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

/** A promise with its resolve function. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Sends GET requests for `paths` over `connections` raw keep-alive sockets
 * with HTTP/1.1 pipelining (all requests of a socket written at once), and
 * resolves with the status codes in order: thousands of requests without
 * the client-side cost of one `http.request` each.
 */
export async function pipelined(url: string, paths: readonly string[], connections = 8): Promise<number[]> {
  const { hostname, port } = new URL(url);
  const perSocket = Math.ceil(paths.length / connections);
  const batches: string[][] = [];
  for (let i = 0; i < paths.length; i += perSocket) batches.push(paths.slice(i, i + perSocket));
  const results = await Promise.all(
    batches.map(
      (batch) =>
        new Promise<number[]>((resolve, reject) => {
          const socket = connect({ host: hostname, port: Number(port) });
          const statuses: number[] = [];
          let buffered = '';
          socket.setEncoding('latin1');
          socket.on('error', reject);
          socket.on('data', (chunk: string) => {
            buffered += chunk;
            // Every response starts with a status line; bodies here never contain one.
            const pattern = /HTTP\/1\.1 (\d{3}) /g;
            let match: RegExpExecArray | null;
            let consumed = 0;
            while ((match = pattern.exec(buffered)) !== null) {
              statuses.push(Number(match[1]));
              consumed = pattern.lastIndex;
            }
            buffered = buffered.slice(consumed);
            if (statuses.length === batch.length) {
              socket.end();
              resolve(statuses);
            }
          });
          socket.write(batch.map((path) => `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`).join(''));
        }),
    ),
  );
  return results.flat();
}
