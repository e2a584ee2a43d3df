/**
 * @ward/core/testing: the helpers the other tests lean on must themselves be
 * right — servers that close with connections still open, raw headers sent
 * as written, HEAD, keep-alive reuse, cuts at each moment, events.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { abortAfter, deferred, keepAliveAgent, listen, once, request, ResponseAbortedError } from '@ward/core/testing';

describe('listen', () => {
  it('serves a listener on 127.0.0.1 with a free port', async () => {
    const server = await listen((_req, res) => res.end('up'));
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect((await request(server.url)).text).toBe('up');
    await server.close();
  });

  it('takes an http.Server, listening or not', async () => {
    const plain = http.createServer((_req, res) => res.end('plain'));
    const server = await listen(plain);
    expect(server.server).toBe(plain);
    expect((await request(server.url)).text).toBe('plain');
    await server.close();
  });

  it('close() ends hung requests and idle keep-alive connections, and can be called twice', async () => {
    const arrived = deferred<void>();
    const server = await listen((req, res) => {
      if (req.url === '/hang') arrived.resolve();
      else res.end('ok');
    });
    const agent = keepAliveAgent();
    await request(server.url, { agent });
    const hung = request(`${server.url}/hang`).catch((error: unknown) => error);
    await arrived.promise;
    await server.close();
    await server.close();
    expect(await hung).toBeInstanceOf(Error);
    expect(server.server.listening).toBe(false);
    agent.destroy();
  });

  it('refuses anything else with a TypeError', async () => {
    await expect(listen(42 as unknown as http.Server)).rejects.toThrow(new TypeError('listen(target): expected a request listener or an http.Server, got number'));
  });
});

describe('request', () => {
  it('sends raw headers as written, repeated, with Host added', async () => {
    const server = await listen((req, res) => res.end(JSON.stringify(req.rawHeaders)));
    const res = await request(server.url, { headers: ['X-Odd', 'a', 'x-odd', 'b'] });
    expect(res.json()).toEqual(['Host', `127.0.0.1:${server.port}`, 'X-Odd', 'a', 'x-odd', 'b', 'Connection', 'close']);
    await server.close();
  });

  it('sends HEAD without expecting a body', async () => {
    const server = await listen((_req, res) => {
      res.setHeader('content-length', '5');
      res.end('hello');
    });
    const res = await request(server.url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers['content-length']).toBe('5');
    await server.close();
  });

  it('sends a body with Content-Length, or chunked', async () => {
    const server = await listen((req, res) => res.end(`${req.headers['content-length']}|${req.headers['transfer-encoding']}`));
    expect((await request(server.url, { method: 'POST', body: 'abc' })).text).toBe('3|undefined');
    expect((await request(server.url, { method: 'POST', body: 'abc', chunked: true })).text).toBe('undefined|chunked');
    await server.close();
  });

  it('reports keep-alive reuse', async () => {
    const server = await listen((_req, res) => res.end('x'));
    const agent = keepAliveAgent();
    expect((await request(server.url, { agent })).reusedSocket).toBe(false);
    expect((await request(server.url, { agent })).reusedSocket).toBe(true);
    agent.destroy();
    await server.close();
  });

  it('json() names a body that is not JSON', async () => {
    const server = await listen((_req, res) => res.end('<html>'));
    const res = await request(server.url);
    expect(() => res.json()).toThrow(new SyntaxError('response body is not JSON: "<html>"'));
    await server.close();
  });

  it('rejects with ResponseAbortedError, carrying what arrived, when the server cuts the response', async () => {
    const server = await listen((_req, res) => {
      res.write('partial');
      setImmediate(() => res.destroy());
    });
    const error = await request(server.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseAbortedError);
    expect(error).toMatchObject({ status: 200 });
    expect((error as ResponseAbortedError).received.toString()).toBe('partial');
    await server.close();
  });
});

describe('abortAfter', () => {
  it('cuts once the response head arrives', async () => {
    const closed = deferred<boolean>();
    const server = await listen((_req, res) => {
      res.once('close', () => closed.resolve(res.writableFinished));
      res.flushHeaders();
    });
    const result = await abortAfter(server.url, { after: 'headers' });
    expect(result.status).toBe(200);
    expect(await closed.promise).toBe(false);
    await server.close();
  });

  it('cuts at the first body chunk, keeping it', async () => {
    const server = await listen((_req, res) => {
      res.write('first');
    });
    const result = await abortAfter(server.url, { after: 'first-chunk' });
    expect(result.received.toString()).toBe('first');
    await server.close();
  });

  it('cuts when a promise settles', async () => {
    const started = deferred<void>();
    const closed = deferred<void>();
    const server = await listen((_req, res) => {
      res.once('close', () => closed.resolve());
      started.resolve();
    });
    const result = await abortAfter(server.url, { after: started.promise });
    expect(result.status).toBeUndefined();
    await closed.promise;
    await server.close();
  });

  it('refuses an unknown moment', () => {
    expect(() => abortAfter('http://127.0.0.1:1', { after: 'later' as 'sent' })).toThrow(TypeError);
  });
});

describe('deferred and once', () => {
  it('deferred settles once and says so', async () => {
    const d = deferred<number>();
    expect(d.settled).toBe(false);
    d.resolve(1);
    d.resolve(2);
    expect(d.settled).toBe(true);
    expect(await d.promise).toBe(1);
  });

  it('once resolves with the first argument of an emitter event, error included', async () => {
    const emitter = new EventEmitter();
    const got = once<Error>(emitter, 'error');
    const error = new Error('x');
    emitter.emit('error', error, 'second');
    expect(await got).toBe(error);
  });

  it('once works with an AbortSignal', async () => {
    const controller = new AbortController();
    const got = once(controller.signal, 'abort');
    controller.abort(new Error('why'));
    expect(await got).toBeInstanceOf(Event);
  });
});
