import { listen, request, type TestServer } from '@ward/core/testing';
import { Engine, Router } from '@ward/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { rawExchange, send, statusOf } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(setup: (engine: Engine) => void): Promise<TestServer> {
  const engine = new Engine({ onError: () => {} });
  setup(engine);
  server = await listen(engine.handler);
  return server;
}

describe('security: hostile paths, params and bodies', () => {
  it('keeps traversal-looking input a param: the router never resolves dot segments', async () => {
    let adminRan = 0;
    const { port } = await start((engine) => {
      engine.get('/admin', (ctx) => {
        adminRan++;
        ctx.text(200, 'admin');
      });
      engine.get('/files/*path', (ctx) => ctx.json(200, { path: ctx.param('path') }));
      engine.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') }));
    });
    expect((await send(port, '/files/../admin')).json()).toEqual({ path: '../admin' });
    expect((await send(port, '/files/../../etc/passwd')).json()).toEqual({ path: '../../etc/passwd' });
    expect((await send(port, '/files/..%2F..%2Fetc%2Fpasswd')).json()).toEqual({ path: '../../etc/passwd' });
    expect((await send(port, '/files/%2e%2e/admin')).json()).toEqual({ path: '../admin' });
    expect((await send(port, '/users/..')).json()).toEqual({ id: '..' });
    expect((await send(port, '/users/%2e%2e%2fadmin')).json()).toEqual({ id: '../admin' });
    expect((await send(port, '/users/../admin')).status).toBe(404);
    expect(adminRan).toBe(0);
  });

  it('treats prototype keys as plain param values and never leaks Object.prototype', async () => {
    const { port } = await start((engine) => {
      engine.get('/users/:id', (ctx) =>
        ctx.json(200, {
          id: ctx.param('id'),
          constructor: ctx.param('constructor'),
          proto: ctx.param('__proto__'),
          toString: ctx.param('toString'),
          keys: Object.keys(ctx.req.params),
        }),
      );
    });
    for (const key of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']) {
      const res = await send(port, `/users/${key}`);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ id: key, constructor: '', proto: '', toString: '', keys: ['id'] });
    }
    // Static lookups are Maps: a prototype key is just a miss.
    for (const path of ['/__proto__', '/constructor', '/users/__proto__/x']) expect((await send(port, path)).status).toBe(404);
    expect(({} as Record<string, unknown>)['id']).toBeUndefined();
  });

  it('refuses a JSON body with __proto__ keys, leaving prototypes clean', async () => {
    let handled = 0;
    const { url } = await start((engine) =>
      engine.post('/users/:id', async (ctx) => {
        await ctx.req.body();
        handled++;
        ctx.text(200, 'ok');
      }),
    );
    const res = await request(`${url}/users/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x","__proto__":{"isAdmin":true}}',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:invalid-json',
      title: 'Bad Request',
      status: 400,
      code: 'INVALID_JSON',
      detail: 'The request body has forbidden keys (__proto__, constructor.prototype)',
    });
    expect(handled).toBe(0);
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });

  it('answers malformed, overlong and NUL escapes without crashing', async () => {
    const { port } = await start((engine) => engine.get('/users/:id', (ctx) => ctx.json(200, { id: ctx.param('id') })));
    // %C0%AF is an overlong "/": not valid UTF-8, so not decodable.
    for (const path of ['/users/%C0%AF', '/users/%ED%A0%80', '/users/%%', '/users/%1']) {
      const res = await send(port, path);
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect((await send(port, '/users/a%00b')).json()).toEqual({ id: 'a\u0000b' });
    expect((await send(port, '/users/ok')).status).toBe(200);
  });

  it('never redirects a trailing slash to another host (//host, /\\host)', async () => {
    const { port } = await start((engine) => {
      engine.get('//evil.example', (ctx) => ctx.text(200, 'double slash route'));
      engine.get('/:name', (ctx) => ctx.text(200, `name ${ctx.param('name')}`));
    });
    const doubled = await rawExchange(port, 'GET //evil.example/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(doubled)).toBe(404);
    expect(doubled.toLowerCase()).not.toContain('location:');
    const backslash = await rawExchange(port, 'GET /\\evil.example/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(backslash)).toBe(404);
    expect(backslash.toLowerCase()).not.toContain('location:');
    // The same shape without the hostile prefix does redirect.
    expect((await send(port, '/plain/')).headers.location).toBe('/plain');
  });

  it('keeps encoded CR/LF encoded in a redirect Location (no header injection)', async () => {
    const { port } = await start((engine) => engine.get('/r/:x', (ctx) => ctx.text(200, 'x')));
    const res = await send(port, '/r/a%0D%0ASet-Cookie:%20evil=1/');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/r/a%0D%0ASet-Cookie:%20evil=1');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('handles a 10 KB path segment as a param, a miss or a redirect', async () => {
    const big = 'a'.repeat(10 * 1024);
    const { port } = await start((engine) => {
      engine.get('/users/:id', (ctx) => ctx.json(200, { length: ctx.param('id').length }));
      engine.get('/files/*path', (ctx) => ctx.json(200, { length: ctx.param('path').length }));
    });
    expect((await send(port, `/users/${big}`)).json()).toEqual({ length: big.length });
    expect((await send(port, `/files/${big}/x`)).json()).toEqual({ length: big.length + 2 });
    const miss = await send(port, `/${big}`);
    expect(miss.status).toBe(404);
    expect(miss.json()).toMatchObject({ code: 'NOT_FOUND' });
    const redirect = await send(port, `/users/${big}/`);
    expect([redirect.status, redirect.headers.location]).toEqual([301, `/users/${big}`]);
    const encoded = await send(port, `/users/${'%41'.repeat(3000)}`);
    expect(encoded.json()).toEqual({ length: 3000 });
  });

  it('handles thousands of segments without deep recursion', async () => {
    const deep = '/a'.repeat(5000);
    const { port } = await start((engine) => {
      engine.get('/a/:x/a', (ctx) => ctx.text(200, 'short'));
      engine.get('/a/*rest', (ctx) => ctx.json(200, { length: ctx.param('rest').length }));
      engine.get('/b/:x/:y/:z', (ctx) => ctx.text(200, 'b'));
    });
    expect((await send(port, deep)).json()).toEqual({ length: deep.length - 3 });
    expect((await send(port, `/b${'/b'.repeat(5000)}`)).status).toBe(404);
    // The same through the bare router.
    const router = new Router<number>();
    router.add('GET', '/:a/:b', 1);
    expect(router.find('GET', '/x'.repeat(100_000))).toBeUndefined();
  });

  it('leaves oversized and malformed request heads to node (431/400) and keeps serving', async () => {
    const { port } = await start((engine) => engine.get('/ok', (ctx) => ctx.text(200, 'ok')));
    const hugeHeader = await rawExchange(port, `GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
    expect(statusOf(hugeHeader)).toBe(431);
    const hugeUrl = await rawExchange(port, `GET /ok?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(statusOf(hugeUrl)).toBe(431);
    const badByte = await rawExchange(port, Buffer.from('GET /ok/\xff HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
    expect(statusOf(badByte)).toBe(400);
    const space = await rawExchange(port, 'GET /o k HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(statusOf(space)).toBe(400);
    expect((await send(port, '/ok')).status).toBe(200);
  });

  it('does not echo a hostile method into Allow or crash on unknown methods', async () => {
    const { port } = await start((engine) => engine.get('/r', (ctx) => ctx.text(200, 'r')));
    const res = await send(port, '/r', { method: 'PROPFIND' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    const bogus = await rawExchange(port, 'FOO /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(bogus)).toBe(400);
  });
});
