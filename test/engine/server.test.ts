import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { deferred, keepAliveAgent, once, request } from '@ward/core/testing';
import { Engine, type ListeningServer, trackConnections } from '@ward/engine';
import { afterEach, describe, expect, it, vi } from 'vitest';

let running: ListeningServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await running?.shutdown({ timeoutMs: 0 });
  running = undefined;
});

/** An engine with `/fast`, and `/slow` that answers when `release` resolves. */
function slowEngine() {
  const started = deferred<void>();
  const release = deferred<void>();
  const engine = new Engine({ onError: () => {} });
  engine.get('/fast', (ctx) => ctx.text(200, 'fast'));
  engine.get('/slow', async (ctx) => {
    started.resolve();
    await release.promise;
    ctx.text(200, 'slow done');
  });
  return { engine, started, release };
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('engine.listen()', () => {
  it('listens on the given port and host and reports its URL', async () => {
    const { engine } = slowEngine();
    running = await engine.listen({ port: 0, host: '127.0.0.1' });
    const address = running.server.address() as AddressInfo;
    expect(running.port).toBe(address.port);
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${address.port}`);
    const res = await request(`${running.url}/fast`);
    expect([res.status, res.text]).toEqual([200, 'fast']);
  });

  it('brackets an IPv6 address in the URL', async () => {
    const { engine } = slowEngine();
    const listening = await engine.listen({ port: 0, host: '::1' }).catch((error: NodeJS.ErrnoException) => error);
    // Some sandboxes have no IPv6 loopback: nothing to check there.
    if (listening instanceof Error) {
      expect(['EADDRNOTAVAIL', 'EAFNOSUPPORT']).toContain(listening.code);
      return;
    }
    running = listening;
    expect(running.url).toBe(`http://[::1]:${running.port}`);
  });

  it('rejects when the port is taken', async () => {
    const { engine } = slowEngine();
    running = await engine.listen({ port: 0 });
    const error = await errorOf(new Engine().listen({ port: running.port }));
    expect(error).toMatchObject({ code: 'EADDRINUSE' });
  });

  it('validates its options', () => {
    const engine = new Engine();
    expect(() => engine.listen({ port: 70000 })).toThrow(
      new RangeError('listen(options): port must be an integer from 0 to 65535 (0 for a free port), got 70000'),
    );
    expect(() => engine.listen({ port: '80' as unknown as number })).toThrow(RangeError);
    expect(() => engine.listen({ port: 0, host: '' })).toThrow(
      new TypeError('listen(options): host must be a non-empty string such as "127.0.0.1", got ""'),
    );
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, with Connection: close, and refuses new connections meanwhile', async () => {
    const { engine, started, release } = slowEngine();
    running = await engine.listen({ port: 0 });
    const url = running.url;
    // Keep-alive, so `Connection: close` comes from the shutdown, not from the client.
    const agent = keepAliveAgent();
    try {
      const slow = request(`${url}/slow`, { agent });
      await started.promise;
      const stopped = running.shutdown({ timeoutMs: 60_000 });
      expect(running.server.listening).toBe(false);
      const refused = await errorOf(request(`${url}/fast`));
      expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
      release.resolve();
      const res = await slow;
      expect([res.status, res.text]).toEqual([200, 'slow done']);
      expect(res.headers.connection).toBe('close');
      await stopped;
    } finally {
      agent.destroy();
    }
  });

  it('closes an idle keep-alive connection at once', async () => {
    const { engine } = slowEngine();
    running = await engine.listen({ port: 0 });
    const agent = keepAliveAgent();
    try {
      // The agent emits 'free' with the socket when it goes back to the pool, idle.
      const freed = once<Socket>(agent, 'free');
      const first = await request(`${running.url}/fast`, { agent });
      expect(first.headers.connection).toBe('keep-alive');
      const idle = await freed;
      const sockets = Object.values(agent.freeSockets).flat() as Socket[];
      expect(sockets).toEqual([idle]);
      const closed = once(idle, 'close');
      // A long deadline: resolving proves nothing waited for it.
      await running.shutdown({ timeoutMs: 60_000 });
      await closed;
      expect(idle.destroyed).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('closes a busy keep-alive connection right after its response', async () => {
    const { engine, started, release } = slowEngine();
    running = await engine.listen({ port: 0 });
    const agent = keepAliveAgent();
    try {
      await request(`${running.url}/fast`, { agent });
      const slow = request(`${running.url}/slow`, { agent });
      await started.promise;
      const stopped = running.shutdown({ timeoutMs: 60_000 });
      release.resolve();
      const res = await slow;
      expect(res.reusedSocket).toBe(true);
      expect([res.status, res.headers.connection]).toEqual([200, 'close']);
      await stopped;
      expect(running.server.listening).toBe(false);
    } finally {
      agent.destroy();
    }
  });

  it('destroys a request still hanging at the deadline, aborting its signal', async () => {
    const started = deferred<void>();
    const aborted = deferred<unknown>();
    const engine = new Engine({ onError: () => {} });
    engine.get('/hang', (ctx) => {
      ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason), { once: true });
      started.resolve();
      return new Promise<void>(() => {});
    });
    running = await engine.listen({ port: 0 });
    const hanging = errorOf(request(`${running.url}/hang`));
    await started.promise;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stopped = running.shutdown({ timeoutMs: 5_000 });
    let resolved = false;
    void stopped.then(() => (resolved = true));
    vi.advanceTimersByTime(4_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(running.server.listening).toBe(false);
    expect(resolved).toBe(false);
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    expect(await hanging).toMatchObject({ code: 'ECONNRESET' });
    await stopped;
    expect(await aborted.promise).toMatchObject({ name: 'ClientClosedError', code: 'CLIENT_CLOSED' });
  });

  it('returns the same promise when called again, and validates its options', async () => {
    const { engine } = slowEngine();
    running = await engine.listen({ port: 0 });
    for (const timeoutMs of [-1, 2 ** 31]) {
      expect(() => running!.shutdown({ timeoutMs })).toThrow(
        new RangeError(`shutdown(options): timeoutMs must be a number of milliseconds from 0 to 2147483647 (about 24.8 days), got ${timeoutMs}`),
      );
    }
    const first = running.shutdown();
    expect(running.shutdown()).toBe(first);
    await first;
  });

  it('works on a server the user created, through trackConnections()', async () => {
    const { engine, started, release } = slowEngine();
    const server: Server = createServer(engine.handler);
    const { shutdown } = trackConnections(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const agent = keepAliveAgent();
    try {
      const slow = request(`${url}/slow`, { agent });
      await started.promise;
      const stopped = shutdown({ timeoutMs: 60_000 });
      release.resolve();
      expect((await slow).headers.connection).toBe('close');
      await stopped;
      expect(server.listening).toBe(false);
    } finally {
      agent.destroy();
    }
  });
});
