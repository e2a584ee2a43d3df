/**
 * What ward's Redis-backed stores (auth, cache) share about their injected
 * ioredis client: checking it at construction, refusing to queue a call on a
 * client that is not connected (ioredis's offline queue would hold it until
 * reconnection), and a deadline on each call, so a frozen server cannot hold
 * a request; the callers' failure modes decide what happens then.
 */
import { describeValue } from './describe-value.js';

/** The connection part of an ioredis `Redis` or `Cluster` client. */
export interface ConnectableClient {
  /** ioredis's connection status; calls fail at once unless it is `ready`. Absent: always tried. */
  readonly status?: string;
  /** Connects a `lazyConnect` client (status `wait`), started on first use. */
  connect?(): Promise<void>;
}

/** The client and key prefix of a store's options, checked. */
export function storeClient<C extends object>(options: unknown, store: string, methods: readonly string[], defaultPrefix: string): { client: C; prefix: string } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${store} needs { client: an ioredis Redis or Cluster instance }`);
  const { client, prefix = defaultPrefix } = options as { client?: unknown; prefix?: unknown };
  if (typeof client !== 'object' || client === null || methods.some((name) => typeof (client as Record<string, unknown>)[name] !== 'function')) {
    throw new TypeError(`${store} client must be an ioredis Redis or Cluster instance (with ${methods.join(', ')}), got ${describeValue(client)}`);
  }
  if (typeof prefix !== 'string') throw new TypeError(`${store} prefix must be a string, got ${describeValue(prefix)}`);
  return { client: client as C, prefix };
}

/** Throws at once unless the client is ready; starts a `lazyConnect` client that waits for a first command. */
export function ensureReady(client: ConnectableClient): void {
  const status = client.status;
  if (status === undefined || status === 'ready') return;
  if (status === 'wait' && typeof client.connect === 'function') client.connect().catch(() => undefined);
  throw new Error(`the Redis client is ${status}, not ready`);
}

/**
 * The promise, or a rejection after `ms`, whichever comes first (the timer
 * is cleared either way).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The scripting part of an ioredis client. */
export interface ScriptingClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown>;
}

/** True for Redis's answer to an EVALSHA of a script it does not hold (a restart, a failover, SCRIPT FLUSH). */
function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Runs a Lua script by its SHA-1 (EVALSHA), and with EVAL on the same call
 * when the server does not know it (`NOSCRIPT`: a restart, a failover,
 * SCRIPT FLUSH), so no call fails for that and no script is loaded ahead.
 */
export function runScript(client: ScriptingClient, sha: string, source: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown> {
  // A plain promise chain rather than an async function: one promise less on every call of a hot path.
  return client.evalsha(sha, numKeys, ...args).then(undefined, (error: unknown) => {
    if (!isNoScript(error)) throw error;
    return client.eval(source, numKeys, ...args);
  });
}
