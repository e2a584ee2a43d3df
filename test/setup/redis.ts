/**
 * Private `redis-server` processes for tests: the vitest global set-up
 * starts one per run (see redis-global.ts), and fault tests start their own
 * to stop, freeze and restart it on the same port (Redis outages and
 * recovery, DESIGN.md rule 8) without disturbing anyone else's server.
 *
 * Every server listens on 127.0.0.1 on a free port found by the OS (bind
 * port 0, release it, retry on collision), keeps nothing on disk
 * (`--save "" --appendonly no`) and lives in its own temp dir. It never
 * touches the machine's own Redis on 6379.
 *
 * @example
 * const redis = await startRedisServer();
 * const client = new Redis(redis.url, { enableOfflineQueue: false });
 * await redis.stop();  // an outage: connection refused
 * await redis.start(); // back, same port, empty
 * await redis.close(); // gone for good, temp dir removed
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The machine's own Redis port; never ours. */
const RESERVED_PORT = 6379;

/** How a Redis server is started. */
export interface RedisServerOptions {
  /** The `redis-server` executable. Default: `redis-server` found on `PATH`. */
  binary?: string;
  /** Longest wait for "Ready to accept connections", in milliseconds. Default: 10 000. */
  readyTimeoutMs?: number;
  /** Ports tried when the free port found is taken before redis binds it. Default: 5. */
  attempts?: number;
  /**
   * Where free ports come from. Default: {@link freePort}. Tests of this
   * module inject a taken port here to exercise the retry.
   */
  pickPort?: () => Promise<number>;
  /** More `redis-server` arguments (`['--cluster-enabled', 'yes', …]`), kept across restarts. Default: none. */
  extraArgs?: readonly string[];
}

/** A private redis-server that can go down and come back on the same port. */
export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** True while the process runs (also while frozen). */
  readonly running: boolean;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s); clients see connection refused. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (nothing is persisted). */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers — a slow Redis. */
  freeze(): void;
  /** Resumes a frozen server (SIGCONT); held commands are answered. */
  thaw(): void;
  /** Stops the server and removes its temp dir. Idempotent. */
  close(): Promise<void>;
}

/** Raised when no redis-server can be found or started. */
export class RedisSetupError extends Error {
  override name = 'RedisSetupError';
}

/**
 * The path of `redis-server` on `PATH`, or undefined.
 */
export function findRedisServer(name = 'redis-server'): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** How to get Redis, for error messages. */
export const HOW_TO_GET_REDIS =
  'Install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) ' +
  'or point the tests at a Redis you own with REDIS_URL=redis://host:port (a disposable one: tests write keys to it).';

/** A port the OS says is free on 127.0.0.1 right now (it may be taken again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the port of a port-0 socket'))));
    });
  });
}

/** Starts a private redis-server on a free port. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<PrivateRedis> {
  const binary = findRedisServer(options.binary ?? 'redis-server');
  if (binary === undefined) {
    throw new RedisSetupError(`No redis-server executable (${options.binary ?? 'redis-server'}) on PATH. ${HOW_TO_GET_REDIS}`);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const attempts = options.attempts ?? 5;
  const pickPort = options.pickPort ?? freePort;
  const extraArgs = [...(options.extraArgs ?? [])];
  const dir = await mkdtemp(join(tmpdir(), 'ward-redis-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await pickPort();
      if (port === RESERVED_PORT) {
        // The OS never hands out a port in use, but if the machine Redis is down
        // it must still never be ours: its clients would find us.
        if (attempt < attempts) continue;
        throw new RedisSetupError(`refusing port ${RESERVED_PORT}: it belongs to the machine's own Redis`);
      }
      try {
        const child = await launch(binary, port, dir, readyTimeoutMs, extraArgs);
        return new RedisProcess(binary, port, dir, readyTimeoutMs, child, extraArgs);
      } catch (error) {
        // Someone took the port between our probe and redis's bind: try another.
        if (error instanceof PortTakenError && attempt < attempts) continue;
        throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The port was taken between the probe and redis's bind. */
export class PortTakenError extends RedisSetupError {
  override name = 'PortTakenError';
}

/** Live processes, killed if the test process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const proc of live) proc.kill('SIGKILL');
    });
  }
}

/** Spawns redis-server and resolves once its log says it accepts connections. */
function launch(binary: string, port: number, dir: string, readyTimeoutMs: number, extraArgs: readonly string[]): Promise<ChildProcess> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--loglevel', 'notice',
    ...extraArgs,
  ];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  return new Promise<ChildProcess>((resolve, reject) => {
    let log = '';
    let done = false;
    const finish = (error: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining the pipes so a chatty server never blocks on a full pipe.
      child.stdout!.resume();
      child.stderr!.resume();
      if (error === undefined) {
        resolve(child);
      } else {
        child.kill('SIGKILL');
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (log.includes('Ready to accept connections')) finish(undefined);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      const tail = log.trim().split('\n').slice(-5).join('\n');
      const Kind = /Address already in use/i.test(log) ? PortTakenError : RedisSetupError;
      finish(new Kind(`redis-server on port ${port} exited (${signal ?? `code ${String(code)}`}) before it was ready:\n${tail}`));
    };
    const onError = (error: Error): void => {
      finish(new RedisSetupError(`could not run ${binary}: ${error.message}. ${HOW_TO_GET_REDIS}`));
    };
    const timer = setTimeout(() => {
      finish(new RedisSetupError(`redis-server on port ${port} was not ready after ${readyTimeoutMs} ms:\n${log.trim()}`));
    }, readyTimeoutMs);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

class RedisProcess implements PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly #binary: string;
  readonly #dir: string;
  readonly #readyTimeoutMs: number;
  readonly #extraArgs: readonly string[];
  #child: ChildProcess | undefined;
  #closed = false;

  constructor(binary: string, port: number, dir: string, readyTimeoutMs: number, child: ChildProcess, extraArgs: readonly string[]) {
    this.#binary = binary;
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#dir = dir;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.#extraArgs = extraArgs;
    this.#child = child;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    // A frozen process cannot act on SIGTERM until it is resumed.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited(child);
    clearTimeout(killer);
  }

  async start(): Promise<void> {
    if (this.#closed) throw new RedisSetupError(`redis-server on port ${this.port} was closed; start a new one`);
    if (this.running) return;
    this.#child = await launch(this.#binary, this.port, this.#dir, this.#readyTimeoutMs, this.#extraArgs);
  }

  freeze(): void {
    if (!this.running) throw new RedisSetupError(`redis-server on port ${this.port} is not running`);
    this.#child!.kill('SIGSTOP');
  }

  thaw(): void {
    if (this.running) this.#child!.kill('SIGCONT');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
