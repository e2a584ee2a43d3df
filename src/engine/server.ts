/**
 * `listen()` and graceful shutdown. Shutting down stops accepting
 * connections, closes idle keep-alive connections at once, lets in-flight
 * requests finish (their answers say `Connection: close`, and each busy
 * connection is closed right after its last answer), and destroys whatever
 * is still open when the deadline passes.
 *
 * Node's own `server.close()` closes idle connections but leaves a
 * keep-alive connection open after its in-flight answer until the
 * keep-alive timeout; that is why connections are tracked here.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Options of `engine.listen()`. */
export interface ListenOptions {
  /** TCP port; `0` picks a free one. Default: `3000`. */
  port?: number;
  /** Address to bind. Default: `'127.0.0.1'` (local only; `'0.0.0.0'` or `'::'` to accept from outside). */
  host?: string;
}

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /**
   * How long in-flight requests may take to finish, in milliseconds; then
   * every connection still open is destroyed. Default: `10_000`.
   */
  timeoutMs?: number;
}

/** A server started by `engine.listen()`. */
export interface ListeningServer {
  readonly server: Server;
  /** `http://<host>:<port>`, without a trailing slash. */
  readonly url: string;
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /**
   * Stops gracefully (see {@link trackConnections}). Resolves once every
   * connection is closed. Calling it again returns the same promise.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** The longest delay node's timers keep (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts an `http.Server` for `listener` with graceful shutdown. Bad options
 * throw at once; a failure to bind (`EADDRINUSE`) rejects.
 *
 * @example
 * const { url, shutdown } = await listen(engine.handler, { port: 0 });
 */
export function listen(listener: RequestListener, options: ListenOptions = {}): Promise<ListeningServer> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`listen(options): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { port = DEFAULT_PORT, host = DEFAULT_HOST } = options;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`listen(options): port must be an integer from 0 to 65535 (0 for a free port), got ${JSON.stringify(port)}`);
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`listen(options): host must be a non-empty string such as "127.0.0.1", got ${JSON.stringify(host)}`);
  }
  return start(listener, port, host);
}

async function start(listener: RequestListener, port: number, host: string): Promise<ListeningServer> {
  const server = createServer(listener);
  const { shutdown } = trackConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}`, port: address.port, shutdown };
}

/**
 * Tracks the connections and in-flight requests of `server` (call it before
 * the server accepts any) and returns its graceful `shutdown()`. Use it when
 * you create the server yourself: `trackConnections(createServer(engine.handler))`.
 */
export function trackConnections(server: Server): { shutdown(options?: ShutdownOptions): Promise<void> } {
  /** Open connections, with how many requests each has in flight. */
  const sockets = new Map<Socket, number>();
  /** Responses in flight, to mark `Connection: close` when shutdown starts. */
  const active = new Set<ServerResponse>();
  let closing = false;
  let done: Promise<void> | undefined;

  function onSocketClose(this: Socket): void {
    sockets.delete(this);
  }
  function onResponseClose(this: ServerResponse): void {
    active.delete(this);
    const socket = this.req.socket;
    const prior = sockets.get(socket);
    if (prior === undefined) return;
    const count = prior - 1;
    sockets.set(socket, count);
    // Shutting down: the last answer on this connection has gone out, close it.
    if (closing && count === 0) endSocket(socket);
  }

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once('close', onSocketClose);
  });
  // Before the handler, so a request that arrives during shutdown is marked in time.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    active.add(res);
    res.on('close', onResponseClose);
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
  });

  function shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`shutdown(options): options must be an object, got ${options === null ? 'null' : typeof options}`);
    }
    const { timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS } = options;
    // Past 2^31 - 1 ms node's setTimeout fires at once (TimeoutOverflowWarning): in-flight requests would be cut.
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMER_MS) {
      throw new RangeError(`shutdown(options): timeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS} (about 24.8 days), got ${String(timeoutMs)}`);
    }
    if (done !== undefined) return done;
    closing = true;
    done = new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const socket of sockets.keys()) socket.destroy();
      }, timeoutMs);
      deadline.unref();
      // Stops accepting; the callback runs once every connection is closed.
      // ERR_SERVER_NOT_RUNNING (closed by someone else first) counts as closed.
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      for (const [socket, count] of sockets) if (count === 0) socket.destroy();
    });
    return done;
  }

  return { shutdown };
}

/** Closes a connection whose last answer has been handed to the OS. */
function endSocket(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  // The peer may never close its side; the FIN is sent once our writes are flushed.
  socket.once('finish', () => socket.destroy());
}
