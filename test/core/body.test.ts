/**
 * Body reading and parsing over real sockets: limits (declared and
 * streamed), media types, JSON with prototype-poisoning guards, forms,
 * encodings. Bad input is always a 4xx HttpError, never a crash.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BodyOptions, bodyOptions, bodyTypeOf, HttpError, isHttpError, parseBody, parseJson, readRawBody } from '@ward/core';
import { abortAfter, type Deferred, deferred, listen, request, type TestRequestOptions, type TestServer } from '@ward/core/testing';

type Outcome = { value: unknown } | { error: HttpError };

let server: TestServer;
let options: Required<BodyOptions> = bodyOptions();
let reader: (req: IncomingMessage) => Promise<unknown> = (req) => parseBody(req, options);
let outcome: Deferred<Outcome>;

beforeAll(async () => {
  server = await listen((req, res) => {
    reader(req).then(
      (value) => {
        outcome.resolve({ value });
        res.end();
      },
      (error: unknown) => {
        if (!isHttpError(error)) throw error;
        outcome.resolve({ error });
        for (const [name, value] of Object.entries(error.headers)) if (value !== undefined) res.setHeader(name, value);
        res.statusCode = error.status;
        res.end();
      },
    );
  });
});

afterAll(() => server.close());

/** Sends a request and returns what parseBody gave, plus the status the test server answered with. */
async function parse(send: TestRequestOptions, with_: BodyOptions = {}): Promise<Outcome & { status: number; headers: Record<string, unknown> }> {
  options = bodyOptions(with_);
  reader = (req) => parseBody(req, options);
  outcome = deferred<Outcome>();
  const res = await request(server.url, { method: 'POST', ...send });
  return { ...(await outcome.promise), status: res.status, headers: res.headers };
}

const json = (body: string | Uint8Array, extra: Record<string, string> = {}): TestRequestOptions => ({
  headers: { 'content-type': 'application/json', ...extra },
  body,
});

function errorOf(result: Outcome): HttpError {
  if (!('error' in result)) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('body: JSON', () => {
  it('parses a JSON body', async () => {
    expect(await parse(json('{"a":[1,"é",null]}'))).toMatchObject({ value: { a: [1, 'é', null] }, status: 200 });
  });

  it('parses +json media types and ignores parameters and case', async () => {
    expect((await parse(json('{"a":1}', { 'content-type': 'application/vnd.api+json' }))).status).toBe(200);
    expect(await parse(json('[1]', { 'content-type': 'Application/JSON; charset=UTF-8' }))).toMatchObject({ value: [1] });
  });

  it('gives undefined for an empty body and for no body at all', async () => {
    expect(await parse(json(''))).toMatchObject({ value: undefined });
    expect(await parse({ headers: { 'content-type': 'application/json' } })).toMatchObject({ value: undefined });
  });

  it('refuses invalid JSON with 400 INVALID_JSON, keeping the parser error as cause', async () => {
    const error = errorOf(await parse(json('{"a":')));
    expect(error).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    expect(error.detail).toMatch(/^The request body is not valid JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('accepts "constructor" keys that are not constructor.prototype', async () => {
    expect(await parse(json('{"constructor":"x","b":{"constructor":{"name":"y"}}}'))).toMatchObject({
      value: { constructor: 'x', b: { constructor: { name: 'y' } } },
    });
  });
});

describe('body: limits', () => {
  it('accepts a body exactly at the limit', async () => {
    expect(await parse(json('{"a":1}'), { limitBytes: 7 })).toMatchObject({ value: { a: 1 } });
  });

  it('refuses a declared Content-Length over the limit with 413 and connection: close', async () => {
    const result = await parse(json('{"a":12}'), { limitBytes: 7 });
    expect(errorOf(result)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is larger than 7 bytes' });
    expect(result.status).toBe(413);
    expect(result.headers.connection).toBe('close');
  });

  it('refuses a declared length before reading a byte: the answer does not wait for the body', async () => {
    // Declares a gigabyte and sends two bytes: waiting for the body would hang this test.
    const result = await parse(json('{}', { 'content-length': String(1024 ** 3) }), { limitBytes: 1024 });
    expect(errorOf(result)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a chunked body once the streamed size passes the limit', async () => {
    const result = await parse({ ...json(JSON.stringify({ pad: 'x'.repeat(100) })), chunked: true }, { limitBytes: 32 });
    expect(errorOf(result)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('limitBytes 0 accepts only empty bodies', async () => {
    expect(await parse(json(''), { limitBytes: 0 })).toMatchObject({ value: undefined });
    expect(errorOf(await parse(json('1'), { limitBytes: 0 }))).toMatchObject({ status: 413 });
  });

  it('readRawBody gives the exact bytes', async () => {
    reader = (req) => readRawBody(req, 16);
    outcome = deferred<Outcome>();
    await request(server.url, { method: 'POST', body: Uint8Array.from([0, 255, 1]) });
    const result = await outcome.promise;
    expect('value' in result && [...(result.value as Buffer)]).toEqual([0, 255, 1]);
  });
});

describe('body: media types', () => {
  it('parses text/plain as a string', async () => {
    expect(await parse({ headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'héllo' })).toMatchObject({ value: 'héllo' });
  });

  it('parses a form with repeated keys into arrays, into an object without prototype', async () => {
    const result = await parse({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&a=2&b=x+y&c=&a=3&d=%C3%A9' });
    expect('value' in result).toBe(true);
    const value = (result as { value: Record<string, unknown> }).value;
    expect({ ...value }).toEqual({ a: ['1', '2', '3'], b: 'x y', c: '', d: 'é' });
    expect(Object.getPrototypeOf(value)).toBeNull();
  });

  it('refuses an unknown media type with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    expect(errorOf(await parse({ headers: { 'content-type': 'application/xml' }, body: '<a/>' }))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'Content-Type "application/xml" is not accepted',
    });
  });

  it('refuses a body without a Content-Type with 415', async () => {
    expect(errorOf(await parse({ body: 'x' }))).toMatchObject({ status: 415, detail: 'Content-Type "" is not accepted' });
  });

  it('accepts an empty body of any type', async () => {
    expect(await parse({ headers: { 'content-type': 'application/xml', 'content-length': '0' } })).toMatchObject({ value: undefined });
  });

  it('refuses a type left out of body.types', async () => {
    expect(errorOf(await parse({ headers: { 'content-type': 'text/plain' }, body: 'x' }, { types: ['json'] }))).toMatchObject({ status: 415 });
  });

  it('bodyTypeOf maps media types to parsers', () => {
    expect(bodyTypeOf(undefined)).toBeUndefined();
    expect(bodyTypeOf('application/json')).toBe('json');
    expect(bodyTypeOf('application/problem+json; charset=utf-8')).toBe('json');
    expect(bodyTypeOf(' TEXT/PLAIN ')).toBe('text');
    expect(bodyTypeOf('application/x-www-form-urlencoded')).toBe('form');
    expect(bodyTypeOf('multipart/form-data; boundary=x')).toBeUndefined();
    expect(bodyTypeOf('text/json')).toBeUndefined();
  });
});

describe('body: options', () => {
  it.each([-1, 1.5, Number.NaN, '1mb'])('refuses limitBytes %s with a RangeError naming body.limitBytes', (limitBytes) => {
    expect(() => bodyOptions({ limitBytes: limitBytes as number })).toThrow(
      new RangeError(`body.limitBytes must be a non-negative integer of bytes, got ${String(limitBytes)}`),
    );
  });

  it('refuses an unknown type', () => {
    expect(() => bodyOptions({ types: ['json', 'xml' as 'json'] })).toThrow(new RangeError(`body.types accepts 'json', 'text' and 'form', got "xml"`));
  });

  it('defaults to 1 MiB and all three types', () => {
    expect(bodyOptions()).toEqual({ limitBytes: 1024 * 1024, types: ['json', 'text', 'form'] });
  });
});

describe('security: hostile bodies', () => {
  it('refuses __proto__ at the top level with 400 INVALID_JSON', async () => {
    expect(errorOf(await parse(json('{"__proto__":{"admin":true}}')))).toMatchObject({
      status: 400,
      code: 'INVALID_JSON',
      detail: 'The request body has forbidden keys (__proto__, constructor.prototype)',
    });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses __proto__ nested inside arrays', async () => {
    expect(errorOf(await parse(json('[{"a":[{"__proto__":{"x":1}}]}]')))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
  });

  it('refuses constructor.prototype', async () => {
    expect(errorOf(await parse(json('{"x":{"constructor":{"prototype":{"admin":true}}}}')))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
  });

  it('refuses escaped \\u005f_proto__ and \\u0063onstructor keys too (JSON.parse decodes them)', async () => {
    expect(errorOf(await parse(json('{"\\u005f_proto__":{"admin":true}}')))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
    expect(() => parseJson('{"a":{"\\u0063onstructor":{"prototype":{}}}}')).toThrow(HttpError);
    expect(parseJson('{"text":"caf\\u00e9"}')).toEqual({ text: 'café' });
  });

  it('keeps a form field named __proto__ as data, polluting nothing', async () => {
    const result = await parse({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '__proto__=x&constructor=y' });
    const value = (result as { value: Record<string, unknown> }).value;
    expect(Object.getOwnPropertyNames(value).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses invalid UTF-8 with 400 INVALID_ENCODING', async () => {
    expect(errorOf(await parse(json(Uint8Array.from([0x22, 0xc3, 0x28, 0x22]))))).toMatchObject({ status: 400, code: 'INVALID_ENCODING' });
    expect(errorOf(await parse({ headers: { 'content-type': 'text/plain' }, body: Uint8Array.from([0xff]) }))).toMatchObject({ status: 400 });
  });

  it('refuses Content-Encoding gzip with 415 UNSUPPORTED_CONTENT_ENCODING and Accept-Encoding: identity', async () => {
    const result = await parse(json('{"a":1}', { 'content-encoding': 'gzip' }));
    expect(errorOf(result)).toMatchObject({ status: 415, code: 'UNSUPPORTED_CONTENT_ENCODING', detail: 'Content-Encoding "gzip" is not accepted' });
    expect(result.headers['accept-encoding']).toBe('identity');
  });

  it('accepts Content-Encoding: identity', async () => {
    expect(await parse(json('{"a":1}', { 'content-encoding': 'Identity' }))).toMatchObject({ value: { a: 1 } });
  });

  it('a non-numeric Content-Length is answered by node before ward sees it', async () => {
    options = bodyOptions();
    reader = (req) => parseBody(req, options);
    const res = await request(server.url, { method: 'POST', headers: ['Content-Type', 'application/json', 'Content-Length', 'abc'], body: '{}' });
    expect(res.status).toBe(400);
  });

  it('a client that leaves mid-body gets the read refused with 400 BODY_READ_FAILED, not a crash', async () => {
    options = bodyOptions();
    reader = (req) => parseBody(req, options);
    outcome = deferred<Outcome>();
    await abortAfter(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' }, body: '{"a":', after: 'sent' });
    expect(errorOf(await outcome.promise)).toMatchObject({ status: 400, code: 'BODY_READ_FAILED' });
  });
});
