/**
 * cors() preflights over real HTTP through the node adapter: 204 without the
 * handler, refused origins, what is and is not a preflight, method and
 * header checks, reflection, Max-Age, Private Network Access, and
 * preflightContinue.
 */
import { request } from '@ward/core/testing';
import { describe, expect, it } from 'vitest';
import { APP, EVIL, PREFLIGHT_VARY, corsHeadersOf, corsServers, counted, preflight, rejectedLines } from './helpers.js';

const start = corsServers();

describe('preflight', () => {
  it('is answered 204 with no body and no Content-Length, without reaching the handler', async () => {
    const { url, reached, registry } = await start({ credentials: true, exposedHeaders: ['x-request-id'] });
    const res = await preflight(url, APP, 'PATCH', 'content-type,x-api-key');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['content-length']).toBeUndefined();
    expect(corsHeadersOf(res.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
      'access-control-allow-headers': 'content-type,x-api-key',
      'access-control-max-age': '600',
    });
    expect(res.headers.vary).toBe(PREFLIGHT_VARY);
    expect(reached.count).toBe(0);
    expect(await rejectedLines(registry)).toEqual(counted(0));
  });

  it('a refused origin gets a plain 204: no CORS headers, handler not reached', async () => {
    const { url, reached, registry } = await start({ credentials: true });
    const res = await preflight(url, EVIL, 'PUT', 'x-api-key');
    expect(res.status).toBe(204);
    expect(corsHeadersOf(res.headers)).toEqual({});
    expect(res.headers.vary).toBe(PREFLIGHT_VARY);
    expect(reached.count).toBe(0);
    expect(await rejectedLines(registry)).toEqual(counted(1));
  });

  it('an OPTIONS without Access-Control-Request-Method, or without Origin, is not a preflight', async () => {
    const { url, reached } = await start({});
    const plain = await request(`${url}/r`, { method: 'OPTIONS', headers: { origin: APP } });
    expect(plain.status).toBe(200);
    expect(plain.text).toBe('ok');
    expect(corsHeadersOf(plain.headers)).toEqual({ 'access-control-allow-origin': APP });
    expect(plain.headers.vary).toBe('Origin');
    const noOrigin = await request(`${url}/r`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'PUT' } });
    expect(noOrigin.status).toBe(200);
    expect(corsHeadersOf(noOrigin.headers)).toEqual({});
    expect(noOrigin.headers.vary).toBe('Origin');
    expect(reached).toEqual({ count: 2, methods: ['OPTIONS', 'OPTIONS'] });
  });

  it('compares methods case-sensitively, as browsers do, and lets safelisted methods through', async () => {
    const { url, registry } = await start({ methods: ['GET', 'PATCH', 'purge'] });
    expect((await preflight(url, APP, 'PATCH')).headers['access-control-allow-methods']).toBe('GET, PATCH, purge');
    await preflight(url, APP, 'purge');
    await preflight(url, APP, 'POST'); // safelisted: browsers never check it against the list
    await preflight(url, APP, 'HEAD');
    expect(await rejectedLines(registry)).toEqual(counted(0));
    await preflight(url, APP, 'patch'); // fetch(url, { method: 'patch' }) asks for 'patch'
    await preflight(url, APP, 'PURGE');
    await preflight(url, APP, 'DELETE');
    expect(await rejectedLines(registry)).toEqual(counted(0, 3));
  });

  it("reflects Access-Control-Request-Headers only when it is a list of header names ('reflect', the default)", async () => {
    const { url, registry } = await start({});
    const ok = await preflight(url, APP, 'PUT', 'Content-Type, X-Api-Key,\tx-trace');
    expect(ok.headers['access-control-allow-headers']).toBe('Content-Type, X-Api-Key,\tx-trace');
    // RFC 9110 §5.6.1: empty list elements are accepted, and left out of the echo (Fetch refuses an empty name).
    for (const [sent, echoed] of [['x-a,,x-b', 'x-a, x-b'], [',x-a', 'x-a'], ['x-a, , x-b ,', 'x-a, x-b']]) {
      expect((await preflight(url, APP, 'PUT', sent)).headers['access-control-allow-headers'], sent).toBe(echoed);
    }
    for (const bad of ['x-a, "quoted"', 'x-a;x-b', 'x a', ', ,', `x-${'a'.repeat(2100)}`]) {
      const res = await preflight(url, APP, 'PUT', bad);
      expect(res.status, bad).toBe(204);
      expect(res.headers['access-control-allow-headers'], bad).toBeUndefined();
      expect(res.headers['access-control-allow-origin'], bad).toBe(APP);
    }
    const none = await preflight(url, APP, 'PUT', '');
    expect(none.headers['access-control-allow-headers']).toBeUndefined();
    expect(await rejectedLines(registry)).toEqual(counted(0, 0, 5));
  });

  it('a fixed allowedHeaders list is sent as is and checked case-insensitively', async () => {
    const { url, registry } = await start({ allowedHeaders: ['Content-Type', 'X-Api-Key'] });
    const res = await preflight(url, APP, 'PUT', 'x-api-key,content-type');
    expect(res.headers['access-control-allow-headers']).toBe('content-type, x-api-key');
    await preflight(url, APP, 'PUT', 'X-API-KEY');
    await preflight(url, APP, 'PUT');
    expect(await rejectedLines(registry)).toEqual(counted(0));
    const extra = await preflight(url, APP, 'PUT', 'x-api-key,authorization');
    expect(extra.headers['access-control-allow-headers']).toBe('content-type, x-api-key');
    await preflight(url, APP, 'PUT', 'x-api-key;authorization');
    // One reason per request: the method is checked first.
    await preflight(url, APP, 'TRACE', 'authorization');
    expect(await rejectedLines(registry)).toEqual(counted(0, 1, 2));
  });

  it('an empty allowedHeaders list sends no Allow-Headers and refuses any requested header', async () => {
    const { url, registry } = await start({ allowedHeaders: [] });
    const res = await preflight(url, APP, 'PUT', 'x-a');
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
    expect(await rejectedLines(registry)).toEqual(counted(0, 0, 1));
  });

  it('sends the configured Max-Age, 0 included', async () => {
    const { url } = await start({ maxAgeSec: 0 });
    expect((await preflight(url, APP, 'PUT')).headers['access-control-max-age']).toBe('0');
  });

  it('answers Private Network Access preflights only when allowPrivateNetwork is on, for allowed origins', async () => {
    const off = await start({});
    const pna = { 'access-control-request-private-network': 'true' };
    expect((await preflight(off.url, APP, 'GET', undefined, pna)).headers['access-control-allow-private-network']).toBeUndefined();
    const on = await start({ allowPrivateNetwork: true });
    const res = await preflight(on.url, APP, 'GET', undefined, pna);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
    expect(res.headers.vary).toBe(`${PREFLIGHT_VARY}, Access-Control-Request-Private-Network`);
    expect((await preflight(on.url, APP, 'GET')).headers['access-control-allow-private-network']).toBeUndefined();
    expect((await preflight(on.url, EVIL, 'GET', undefined, pna)).headers['access-control-allow-private-network']).toBeUndefined();
  });

  it('preflightContinue hands the preflight to next() with the headers set, refused or not', async () => {
    const { url, reached } = await start({ preflightContinue: true });
    const allowed = await preflight(url, APP, 'PUT', 'x-a');
    expect(allowed.status).toBe(200);
    expect(allowed.text).toBe('ok');
    expect(corsHeadersOf(allowed.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
      'access-control-allow-headers': 'x-a',
      'access-control-max-age': '600',
    });
    expect(allowed.headers.vary).toBe(PREFLIGHT_VARY);
    const refused = await preflight(url, EVIL, 'PUT');
    expect(refused.status).toBe(200);
    expect(corsHeadersOf(refused.headers)).toEqual({});
    expect(refused.headers.vary).toBe(PREFLIGHT_VARY);
    expect(reached.methods).toEqual(['OPTIONS', 'OPTIONS']);
  });
});

