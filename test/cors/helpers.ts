/**
 * Test helpers for @ward/cors: a real server on 127.0.0.1 running one cors()
 * through the node adapter in front of a handler that records what reached
 * it, the counter lines of a registry, and a raw-socket exchange for bytes
 * node's client refuses to send.
 */
import { connect } from 'node:net';
import type { Middleware } from '@ward/core';
import { type TestResponse, type TestServer, listen, request } from '@ward/core/testing';
import { type CorsOptions, cors } from '@ward/cors';
import { wardListener } from '@ward/node';
import { Registry } from 'prom-client';
import { afterEach } from 'vitest';

export const APP = 'https://app.example.com';
export const EVIL = 'https://evil.example';
export const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** What reached the final handler. */
export interface Reached {
  count: number;
  methods: string[];
}

/** Every CORS response header name, for "none of them" checks. */
export const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
  'access-control-allow-private-network',
] as const;

/** The CORS headers a response carries (absent ones left out). */
export function corsHeadersOf(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(CORS_HEADERS.filter((name) => headers[name] !== undefined).map((name) => [name, headers[name]]));
}

/**
 * Serves `chain` with the node adapter; the final handler answers 200
 * `text/plain` "ok" (OPTIONS included) and counts what reached it.
 */
export async function serve(chain: Middleware[]): Promise<TestServer & { reached: Reached }> {
  const reached: Reached = { count: 0, methods: [] };
  const server = await listen(
    wardListener(chain, (req, res) => {
      reached.count += 1;
      reached.methods.push(req.method ?? '');
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
    }),
  );
  return Object.assign(server, { reached });
}

/** The `ward_cors_rejected_total` sample lines of a registry. */
export async function rejectedLines(registry: Registry, name = 'ward_cors_rejected_total'): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith(`${name}{`));
}

/** The four sample lines with these counts. */
export function counted(origin: number, method = 0, headers = 0, error = 0, name = 'ward_cors_rejected_total'): string[] {
  return [
    `${name}{reason="origin"} ${origin}`,
    `${name}{reason="method"} ${method}`,
    `${name}{reason="headers"} ${headers}`,
    `${name}{reason="error"} ${error}`,
  ];
}

/** Writes raw bytes on a fresh socket; resolves with all the server wrote until the socket closed. */
export function rawExchange(url: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(received));
    socket.write(bytes);
  });
}

/** Status and lower-cased header lines of a raw HTTP/1.1 answer. */
export function parseRaw(answer: string): { status: number; headers: Map<string, string[]> } {
  const head = answer.slice(0, answer.indexOf('\r\n\r\n'));
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]), headers };
}

/** A started cors() server: its URL, what reached the handler, its registry. */
export interface Started {
  url: string;
  reached: Reached;
  registry: Registry;
}

/**
 * Registers an afterEach that closes the server, and returns `start`, which
 * serves `cors({ origin: [APP], registry, ...options })` (with middleware
 * around it) and closes the previous server of the test first.
 */
export function corsServers(): (options: Partial<CorsOptions>, around?: { before?: Middleware[]; after?: Middleware[] }) => Promise<Started> {
  let current: TestServer | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options, around = {}) => {
    await current?.close();
    const registry = new Registry();
    const mw = cors({ origin: [APP], registry, ...options } as CorsOptions);
    const server = await serve([...(around.before ?? []), mw, ...(around.after ?? [])]);
    current = server;
    return { url: server.url, reached: server.reached, registry };
  };
}

/** GET /r with an optional Origin and extra headers. */
export const get = (url: string, origin?: string, extra: Record<string, string> = {}): Promise<TestResponse> =>
  request(`${url}/r`, { headers: { ...(origin === undefined ? {} : { origin }), ...extra } });

/** A preflight to /r. */
export const preflight = (url: string, origin: string, method: string, headers?: string, extra: Record<string, string> = {}): Promise<TestResponse> =>
  request(`${url}/r`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      ...(headers === undefined ? {} : { 'access-control-request-headers': headers }),
      ...extra,
    },
  });
