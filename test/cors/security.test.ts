/**
 * security: hostile Origin values and preflights, sent over real sockets
 * (raw bytes where node's client refuses to send them). Whatever arrives,
 * the answer is never a 5xx, never reflects anything but an allowed origin
 * byte for byte, and never pairs credentials with a refused origin.
 */
import type { TestServer } from '@ward/core/testing';
import { request } from '@ward/core/testing';
import { type CorsOptions, cors } from '@ward/cors';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Reached, corsHeadersOf, counted, parseRaw, rawExchange, rejectedLines, serve } from './helpers.js';

const APP = 'https://app.example.com';
const IDN = 'https://bücher.example';
const IDN_ASCII = 'https://xn--bcher-kva.example';

let server: (TestServer & { reached: Reached }) | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Partial<CorsOptions>) {
  const registry = new Registry();
  server = await serve([cors({ origin: [APP, IDN], credentials: true, registry, ...options } as CorsOptions)]);
  return { url: server.url, reached: server.reached, registry };
}

/** A raw GET with the given header lines (already CRLF-terminated). */
const rawGet = (lines: string, method = 'GET') => `${method} /r HTTP/1.1\r\nHost: x\r\n${lines}Connection: close\r\n\r\n`;

describe('security: hostile Origin values', () => {
  it('look-alikes, case and slash variants, ports, schemes, * and null are refused without CORS headers', async () => {
    const { url, reached, registry } = await start({});
    const hostile = [
      'null',
      'https://app.example.com.evil.example',
      'https://evil.example.app.example.com',
      'https://evilapp.example.com',
      'https://app.example.co',
      'HTTPS://APP.EXAMPLE.COM',
      'https://App.example.com',
      'https://app.example.com/',
      'https://app.example.com:443',
      'https://app.example.com.',
      'http://app.example.com',
      'wss://app.example.com',
      '*',
      '',
      'https://app.example.com, https://app.example.com',
      `https://${'a'.repeat(12_000)}.example.com`,
    ];
    for (const origin of hostile) {
      const res = await request(`${url}/r`, { headers: { origin } });
      expect(res.status, origin.slice(0, 60)).toBe(200);
      expect(corsHeadersOf(res.headers), origin.slice(0, 60)).toEqual({});
      expect(res.headers.vary).toBe('Origin');
    }
    expect(reached.count).toBe(hostile.length);
    expect(await rejectedLines(registry)).toEqual(counted(hostile.length));
  });

  it('the allowed origin is reflected byte for byte, and only with credentials when allowed', async () => {
    const { url } = await start({});
    const res = await request(`${url}/r`, { headers: { origin: APP } });
    expect(res.rawHeaders.filter((_, i) => i % 2 === 0 && res.rawHeaders[i]!.toLowerCase().startsWith('access-control'))).toEqual([
      'access-control-allow-origin',
      'access-control-allow-credentials',
    ]);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  it('an IDN origin matches only in the punycode form browsers send; raw UTF-8 or latin1 bytes are refused', async () => {
    const { url, registry } = await start({});
    const ascii = await request(`${url}/r`, { headers: { origin: IDN_ASCII } });
    expect(ascii.headers['access-control-allow-origin']).toBe(IDN_ASCII);
    const latin1 = await request(`${url}/r`, { headers: { origin: IDN } });
    expect(corsHeadersOf(latin1.headers)).toEqual({});
    const utf8 = parseRaw(await rawExchange(url, Buffer.from(rawGet(`Origin: ${IDN}\r\n`), 'utf8')));
    expect(utf8.status).toBe(200);
    expect([...utf8.headers.keys()].filter((name) => name.startsWith('access-control'))).toEqual([]);
    expect(await rejectedLines(registry)).toEqual(counted(2));
  });

  it('two Origin headers are one joined value, refused in either order, also on a preflight', async () => {
    const { url, reached, registry } = await start({});
    for (const headers of [
      ['Origin', APP, 'Origin', 'https://evil.example'],
      ['Origin', 'https://evil.example', 'Origin', APP],
      ['Origin', APP, 'Origin', APP],
    ]) {
      const res = await request(`${url}/r`, { headers });
      expect(corsHeadersOf(res.headers), headers.join(' ')).toEqual({});
    }
    const pre = await request(`${url}/r`, { method: 'OPTIONS', headers: ['Origin', APP, 'origin', APP, 'Access-Control-Request-Method', 'PUT'] });
    expect(pre.status).toBe(204);
    expect(corsHeadersOf(pre.headers)).toEqual({});
    expect(reached.count).toBe(3);
    expect(await rejectedLines(registry)).toEqual(counted(4));
  });

  it('CR, LF, NUL and folded lines in Origin are stopped by the HTTP parser with 400 and never echoed (raw socket)', async () => {
    const { url, reached } = await start({});
    const attacks = [
      `Origin: ${APP}\rAccess-Control-Allow-Origin: https://evil.example\r\n`,
      `Origin: ${APP}\nSet-Cookie: session=stolen\r\n`,
      `Origin: ${APP}\r\n Access-Control-Allow-Credentials: true\r\n`,
      `Origin: ${APP}\u0000.evil.example\r\n`,
      `Origin: ${APP}\r\n\tx\r\n`,
    ];
    for (const lines of attacks) {
      const answer = await rawExchange(url, rawGet(lines));
      const { status, headers } = parseRaw(answer);
      expect(status, JSON.stringify(lines)).toBe(400);
      expect([...headers.keys()].filter((name) => name.startsWith('access-control') || name === 'set-cookie')).toEqual([]);
    }
    expect(reached.count).toBe(0);
  });

  it('an Origin past the header size limit is a 431 from node, never a 5xx', async () => {
    const { url, reached } = await start({});
    const { status, headers } = parseRaw(await rawExchange(url, rawGet(`Origin: https://${'a'.repeat(20_000)}.example\r\n`)));
    expect(status).toBe(431);
    expect(headers.has('access-control-allow-origin')).toBe(false);
    expect(reached.count).toBe(0);
  });

  it('an allow-everything function with credentials still reflects only well-formed origins, never *', async () => {
    const { url, registry } = await start({ origin: () => true });
    expect((await request(`${url}/r`, { headers: { origin: 'https://anything.example' } })).headers['access-control-allow-origin']).toBe(
      'https://anything.example',
    );
    for (const origin of ['null', '*', 'https://x.example/', 'javascript:alert(1)', 'https://x.example@evil.example', 'https://x.example evil']) {
      const res = await request(`${url}/r`, { headers: { origin } });
      expect(corsHeadersOf(res.headers), origin).toEqual({});
    }
    expect(await rejectedLines(registry)).toEqual(counted(6));
  });

  it('a RegExp with an unescaped dot is the user’s to fix; an anchored, escaped one refuses look-alikes', async () => {
    // Documented pitfall: /^https:\/\/app.example.com$/ also matches https://appxexample.com.
    const { url } = await start({ origin: /^https:\/\/(?:[a-z0-9-]+\.)?example\.com$/ });
    const allowed = ['https://example.com', APP];
    const refused = ['https://appxexample.com', 'https://example.com.evil.example', 'https://evil-example.com', 'https://a.b.example.com:1'];
    for (const origin of allowed) {
      expect((await request(`${url}/r`, { headers: { origin } })).headers['access-control-allow-origin'], origin).toBe(origin);
    }
    for (const origin of refused) {
      expect((await request(`${url}/r`, { headers: { origin } })).headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('hostile preflights: bogus methods and header lists get 204 and the policy, never a reflection of the bytes', async () => {
    const { url, reached, registry } = await start({});
    const cases: [string, string | undefined][] = [
      ['PUT, DELETE', undefined],
      ['GET /admin', undefined],
      ['', undefined],
      ['PUT', 'x-a, <script>'],
      ['PUT', `${'x-a,'.repeat(600)}x-b`],
      ['PUT', 'x-a,\u00e9'],
    ];
    for (const [method, headerList] of cases) {
      const res = await request(`${url}/r`, {
        method: 'OPTIONS',
        headers: {
          origin: APP,
          'access-control-request-method': method,
          ...(headerList === undefined ? {} : { 'access-control-request-headers': headerList }),
        },
      });
      expect(res.status, method).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, PUT, PATCH, POST, DELETE');
      expect(res.headers['access-control-allow-headers'], String(headerList)).toBeUndefined();
    }
    expect(reached.count).toBe(0);
    expect(await rejectedLines(registry)).toEqual(counted(0, 3, 3));
  });

  it('preflight to a hostile path or with a body is still only a 204 (nothing downstream runs)', async () => {
    const { url, reached } = await start({});
    const answer = await rawExchange(
      url,
      `OPTIONS /../../etc/passwd HTTP/1.1\r\nHost: x\r\nOrigin: ${APP}\r\nAccess-Control-Request-Method: PUT\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
    );
    const { status, headers } = parseRaw(answer);
    expect(status).toBe(204);
    expect(headers.get('access-control-allow-origin')).toEqual([APP]);
    expect(reached.count).toBe(0);
  });
});
