/**
 * The engine example (examples/server): the shared user API contract over a
 * real socket, what is engine-specific, and main.js as a process (URL on
 * start, store kind, graceful shutdown on SIGTERM/SIGINT).
 */
import { describe, it, expect, inject } from 'vitest';
import { Redis } from 'ioredis';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createApp } from '../../examples/server/app.js';
import { ADA, ALLOWED_ORIGIN, TEST_JWT_SECRET, withAuth, collectingLogger, expectProblem, request, testStore, useAdminToken, userApiScenarios, type ExampleTarget } from './user-api.js';
import { authApiScenarios } from './auth-api.js';
import { externalApiScenarios } from './external-api.js';

const target: ExampleTarget = {
  name: 'engine',
  longId: { status: 404, code: 'USER_NOT_FOUND' },
  async start(deps) {
    const engine = createApp(deps);
    const server = await engine.listen({ port: 0, host: '127.0.0.1' });
    return { url: server.url, close: () => server.shutdown({ timeoutMs: 1000 }) };
  },
};

userApiScenarios(target);
authApiScenarios(target);
externalApiScenarios(target);

describe('engine example', () => {
  it('answers 405 with Allow for a known path and another method', async () => {
    const engine = createApp(await withAuth({ store: testStore().store, registry: new Registry(), logger: collectingLogger().logger, onError: () => {}, corsOrigins: [ALLOWED_ORIGIN] }));
    const server = await engine.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await request(`${server.url}/api/v1/users/u1`, { method: 'PATCH' });
      expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers['allow']).toBe('GET, HEAD, PUT, DELETE');
    } finally {
      await server.shutdown({ timeoutMs: 1000 });
    }
  });

  it('registers exactly the documented routes', () => {
    const engine = createApp({ store: testStore().store, registry: new Registry() });
    expect(engine.routes()).toEqual([
      { method: 'GET', path: '/health' },
      { method: 'GET', path: '/metrics' },
      { method: 'GET', path: '/api/v1/users' },
      { method: 'POST', path: '/api/v1/users' },
      { method: 'GET', path: '/api/v1/users/:id' },
      { method: 'PUT', path: '/api/v1/users/:id' },
      { method: 'DELETE', path: '/api/v1/users/:id' },
      { method: 'POST', path: '/api/auth/register' },
      { method: 'POST', path: '/api/auth/login' },
      { method: 'POST', path: '/api/auth/refresh' },
      { method: 'POST', path: '/api/auth/logout' },
      { method: 'GET', path: '/api/users/profile' },
      { method: 'PUT', path: '/api/users/profile' },
      { method: 'GET', path: '/api/v1/admin/dashboard' },
      { method: 'GET', path: '/api/v1/admin/stats' },
    ]);
  });
});

const MAINS = {
  engine: { file: fileURLToPath(new URL('../../examples/server/main.js', import.meta.url)), name: 'ward example' },
  express: { file: fileURLToPath(new URL('../../examples/express/main.js', import.meta.url)), name: 'express example' },
  fastify: { file: fileURLToPath(new URL('../../examples/fastify/main.js', import.meta.url)), name: 'fastify example' },
} as const;
const MAIN = MAINS.engine.file;

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts a main.js on a free port and waits for its URL and store lines (printed once the signal handlers are in place). */
async function startMain(env: Record<string, string>, main: string = MAIN): Promise<Started> {
  // The admin token request() sends to /api/v1, signed with the JWT_SECRET the child gets.
  await useAdminToken();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', JWT_SECRET: TEST_JWT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (out += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match && /store: .*\n/.test(out)) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`main.js exited (${code}) before listening: ${out}`)));
  });
  return { child, url, output: () => out };
}

/** Waits until `output()` holds a line matching `pattern` (stdout is written after the answer, once per event-loop turn). */
async function waitForLine(output: () => string, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = output().split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The JSON access-log lines a main.js wrote on stdout. */
function accessLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r['log'] === 'access');
}

describe.each(Object.entries(MAINS))('%s main.js', (_kind, main) => {
  it('prints its URL, serves, and stops gracefully on SIGTERM with exit code 0', async () => {
    const { child, url, output } = await startMain({ REDIS_URL: '' }, main.file);
    expect((await request(`${url}/health`)).status).toBe(200);
    expect(output()).toContain('store: rate limits, refresh tokens, revocations, cached responses and users in memory (set REDIS_URL to share them through Redis)');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    expect(output()).toContain(`${main.name}: SIGTERM received, finishing requests in flight…`);
    expect(output()).toContain(`${main.name}: stopped`);
  });

  it('with no env: startup lines first, then one JSON access-log line per request on stdout, with the request id', async () => {
    const { child, url, output } = await startMain({ REDIS_URL: '', CORS_ORIGINS: '', REQUEST_TIMEOUT_MS: '' }, main.file);
    try {
      const health = await request(`${url}/health`, { headers: { 'x-request-id': 'main-1' } });
      expect(health.headers['x-request-id']).toBe('main-1');
      expect(health.headers['x-content-type-options']).toBe('nosniff');
      const missing = await request(`${url}/api/v1/users/nobody`, { headers: { 'x-request-id': 'main-2' } });
      expect(missing.json()).toMatchObject({ code: 'USER_NOT_FOUND', request_id: 'main-2' });
      await waitForLine(output, /"request_id":"main-2"/);

      const lines = output().split('\n');
      expect(lines[0]).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines[1]).toBe('store: rate limits, refresh tokens, revocations, cached responses and users in memory (set REDIS_URL to share them through Redis)');
      expect(lines[2]).toBe('cors: http://localhost:5173 (CORS_ORIGINS) · timeout: 10000 ms per request (REQUEST_TIMEOUT_MS)');
      expect(accessLines(output()).map((r) => [r['request_id'], r['route'], r['status']])).toEqual([
        ['main-1', '/health', 200],
        ['main-2', '/api/v1/users/:id', 404],
      ]);
      // The default CORS origin is allowed.
      const preflight = await request(`${url}/api/v1/users`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('reads CORS_ORIGINS and REQUEST_TIMEOUT_MS', async () => {
    const { child, url, output } = await startMain({ CORS_ORIGINS: 'https://app.example.com, https://admin.example.com', REQUEST_TIMEOUT_MS: '2500' }, main.file);
    try {
      await waitForLine(output, /^cors: /);
      expect(output()).toContain('cors: https://app.example.com, https://admin.example.com (CORS_ORIGINS) · timeout: 2500 ms per request (REQUEST_TIMEOUT_MS)');
      const allowed = await request(`${url}/health`, { headers: { origin: 'https://admin.example.com' } });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
      const refused = await request(`${url}/health`, { headers: { origin: 'http://localhost:5173' } });
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it.each([
    [{ CORS_ORIGINS: 'https://app.example.com/' }, 'CORS_ORIGINS: "https://app.example.com/" is not an origin: remove the trailing slash'],
    [{ REQUEST_TIMEOUT_MS: '10s' }, 'REQUEST_TIMEOUT_MS must be whole milliseconds from 1 to 2147483647, got "10s"'],
  ])('refuses %j at start with a message naming the variable', async (env, message) => {
    const child = spawn(process.execPath, [main.file], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(err).toContain(message);
  });
});

describe('examples/server/main.js', () => {
  it('with REDIS_URL keeps the rate-limit buckets, refresh-token families and revocations in that Redis', async () => {
    const { child, url, output } = await startMain({ REDIS_URL: inject('redisUrl') });
    const redis = new Redis(inject('redisUrl'));
    try {
      expect(output()).toContain(`store: rate limits, refresh tokens, revocations, cached responses and outbound breaker verdicts in Redis at ${inject('redisUrl')}`);
      // The client may still be connecting for the very first request (then the local fallback decides): ask until Redis did.
      let res = await request(`${url}/api/v1/users`, { headers: { 'x-request-id': 'redis-1' } });
      for (let i = 0; i < 50 && (await redis.exists('ward:rl:{api:user:test-admin}')) === 0; i++) res = await request(`${url}/api/v1/users`);
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-policy']).toBe('"address";q=3000;w=60, "api";q=1000;w=60');
      expect(res.headers['ratelimit']).toMatch(/^"address";r=\d+;t=\d+, "api";r=\d+;t=\d+$/);
      expect(await redis.exists('ward:rl:{api:user:test-admin}')).toBe(1);
      expect(await redis.pttl('ward:rl:{api:user:test-admin}')).toBeGreaterThan(0);

      // A login is a refresh-token family in Redis, expiring by itself; logout marks it revoked
      // and puts the access token on the shared deny list.
      const email = `redis-${Date.now()}@example.com`;
      const registered = await request(`${url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Redis User', email, age: 30, password: 'a long enough password' }) });
      expect(registered.status).toBe(201);
      const cookie = String(registered.headers['set-cookie']).split(';')[0]!;
      const family = `ward:auth:rt:{${cookie.split('=')[1]!.slice(0, 22)}}`;
      expect(await redis.hget(family, 'rev')).toBe('0');
      expect(await redis.pttl(family)).toBeGreaterThan(0);
      const accessToken = registered.json<{ access_token: string }>().access_token;
      const out = await request(`${url}/api/auth/logout`, { method: 'POST', headers: { cookie, authorization: `Bearer ${accessToken}` } });
      expect(out.status).toBe(204);
      expect(await redis.hget(family, 'rev')).toBe('1');
      expect((await request(`${url}/api/users/profile`, { headers: { authorization: `Bearer ${accessToken}` } })).json()).toMatchObject({ code: 'TOKEN_REVOKED' });
    } finally {
      redis.disconnect();
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      expect((await exited)[0]).toBe(0);
    }
  });

  it('with a REDIS_URL that refuses connections: the password is never printed, the rate-limit fallback decides, token checks fail closed (503)', async () => {
    const { child, url, output } = await startMain({ REDIS_URL: 'redis://app:s3cret@127.0.0.1:1/0' });
    // Anonymous: identify lets it pass, the api limiter's local fallback decides, the group refuses it (401).
    const res = await request(`${url}/api/v1/users`, { headers: { 'x-request-id': 'redis-1', origin: 'http://localhost:5173', authorization: '' } });
    expect(res.status).toBe(401);
    expect(res.headers['ratelimit']).toBe('"address";r=2999;t=1, "api";r=999;t=1');
    expect(res.headers['x-request-id']).toBe('redis-1');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    // Signed in: the revocation list cannot be asked, so the token is neither accepted nor blamed.
    const signedIn = await request(`${url}/api/v1/users`);
    expect(signedIn.status).toBe(503);
    expect(signedIn.json()).toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    await waitForLine(output, /"request_id":"redis-1"/);
    await waitForLine(output, /rate limiter "api": the redis store is failing/);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    expect((await exited)[0]).toBe(0);
    expect(output()).toContain('store: rate limits, refresh tokens, revocations, cached responses and outbound breaker verdicts in Redis at redis://app:***@127.0.0.1:1/0 (rate limits fall back locally, the cache steps aside and breakers act alone if it fails); users in memory');
    expect(output()).not.toContain('s3cret');
  });

  it('lets a request in flight finish on SIGTERM', async () => {
    const { child, url } = await startMain({});
    const created = await request(`${url}/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADA),
    });
    expect(created.status).toBe(201);
    // Expect: 100-continue — the server has parsed the request when the
    // client gets its 100; only then comes the signal, and the body after
    // the server said it is shutting down.
    const body = JSON.stringify({ ...ADA, email: 'second@example.com' });
    const token = await useAdminToken();
    const pending = new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue', authorization: `Bearer ${token}` },
      });
      req.once('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.once('continue', () => {
        child.stdout!.on('data', (chunk: string) => {
          if (chunk.includes('SIGTERM received')) req.end(body);
        });
        child.kill('SIGTERM');
      });
      req.flushHeaders();
    });
    expect(await pending).toBe(201);
    expect((await once(child, 'exit'))[0]).toBe(0);
  });

  it('refuses a bad PORT with a message naming it', async () => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(err).toContain('PORT must be a port number from 0 to 65535, got "eighty"');
  });
});
