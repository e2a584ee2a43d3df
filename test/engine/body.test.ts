import type { StandardSchemaV1 } from '@standard-schema/spec';
import { listen, request, type TestServer } from '@ward/core/testing';
import { Engine, type EngineOptions } from '@ward/engine';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { send } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(setup: (engine: Engine) => void, options?: EngineOptions): Promise<TestServer> {
  const engine = new Engine({ onError: () => {}, ...options });
  setup(engine);
  server = await listen(engine.handler);
  return server;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('engine: request bodies (core’s parser, reused)', () => {
  it('parses JSON, text and forms', async () => {
    const { url } = await start((engine) => engine.post('/echo', async (ctx) => ctx.json(200, { body: await ctx.req.body() })));
    const json = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: '{"a":[1,2]}' });
    expect(json.json()).toEqual({ body: { a: [1, 2] } });
    const text = await request(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(text.json()).toEqual({ body: 'hi' });
    const form = await request(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a=2&b=x',
    });
    expect(form.json()).toEqual({ body: { a: ['1', '2'], b: 'x' } });
  });

  it('answers 413 PAYLOAD_TOO_LARGE past body.limitBytes, declared or streamed', async () => {
    let reached = 0;
    const { url } = await start(
      (engine) =>
        engine.post('/echo', async (ctx) => {
          await ctx.req.body();
          reached++;
          ctx.text(200, 'read');
        }),
      { body: { limitBytes: 16 } },
    );
    const expected = {
      type: 'urn:ward:problem:payload-too-large',
      title: 'Content Too Large',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      detail: 'The request body is larger than 16 bytes',
    };
    const declared = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ a: 'x'.repeat(100) }) });
    expect(declared.status).toBe(413);
    expect(declared.headers['content-type']).toBe('application/problem+json');
    expect(declared.headers.connection).toBe('close');
    expect(declared.json()).toEqual(expected);
    const chunked = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ a: 'x'.repeat(100) }), chunked: true });
    expect(chunked.status).toBe(413);
    expect(chunked.json()).toEqual(expected);
    const small = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: '{"a":1}' });
    expect(small.status).toBe(200);
    expect(reached).toBe(1);
  });

  it('answers 415 for a media type it does not parse', async () => {
    const { url } = await start((engine) => engine.post('/echo', async (ctx) => ctx.json(200, await ctx.req.body())));
    const res = await request(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(res.status).toBe(415);
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:unsupported-media-type',
      title: 'Unsupported Media Type',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'Content-Type "application/xml" is not accepted',
    });
  });

  it('answers 400 INVALID_JSON for JSON that does not parse', async () => {
    const { url } = await start((engine) => engine.post('/echo', async (ctx) => ctx.json(200, await ctx.req.body())));
    const res = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body: '{"a":' });
    expect(res.status).toBe(400);
    const problem = res.json<{ code: string; detail: string }>();
    expect(problem.code).toBe('INVALID_JSON');
    expect(problem.detail.startsWith('The request body is not valid JSON: ')).toBe(true);
  });
});

describe('engine: ctx.validate() with Standard Schema (zod 4)', () => {
  const user = z.object({ name: z.string().min(1), age: z.number().int().min(0), tags: z.array(z.string()).optional() });

  it('resolves with the schema’s output', async () => {
    const { url } = await start((engine) =>
      engine.post('/users', async (ctx) => {
        const input = await ctx.validate(user, 'body');
        expectTypeOf(input).toEqualTypeOf<{ name: string; age: number; tags?: string[] | undefined }>();
        ctx.json(201, input);
      }),
    );
    const res = await request(`${url}/users`, { method: 'POST', headers: JSON_HEADERS, body: '{"name":"Ada","age":36,"extra":true}' });
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ name: 'Ada', age: 36 });
  });

  it('answers 400 VALIDATION_FAILED with every issue as { path, message }', async () => {
    let after = 0;
    const { url } = await start((engine) =>
      engine.post('/users', async (ctx) => {
        await ctx.validate(user, 'body');
        after++;
      }),
    );
    const res = await request(`${url}/users`, { method: 'POST', headers: JSON_HEADERS, body: '{"name":"","age":-1,"tags":["a",2]}' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toEqual({
      type: 'urn:ward:problem:validation-failed',
      title: 'Bad Request',
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'The request body is not valid',
      errors: [
        { path: ['name'], message: 'Too small: expected string to have >=1 characters' },
        { path: ['age'], message: 'Too small: expected number to be >=0' },
        { path: ['tags', 1], message: 'Invalid input: expected string, received number' },
      ],
    });
    expect(after).toBe(0);
  });

  it('validates the query (strings; repeated keys as arrays) and the params', async () => {
    const query = z.object({ page: z.coerce.number().int().min(1), tag: z.array(z.string()).optional() });
    const params = z.object({ id: z.string().uuid() });
    const { url } = await start((engine) =>
      engine.get('/items/:id', async (ctx) => {
        const p = await ctx.validate(params, 'params');
        const q = await ctx.validate(query, 'query');
        ctx.json(200, { p, q });
      }),
    );
    const id = '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b';
    const ok = await request(`${url}/items/${id}?page=2&tag=a&tag=b`);
    expect(ok.json()).toEqual({ p: { id }, q: { page: 2, tag: ['a', 'b'] } });
    const badQuery = await request(`${url}/items/${id}?page=zero`);
    expect(badQuery.status).toBe(400);
    expect(badQuery.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'The request query is not valid',
      errors: [{ path: ['page'], message: 'Invalid input: expected number, received NaN' }],
    });
    const badParams = await request(`${url}/items/42?page=1`);
    expect(badParams.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'The request path parameters are not valid',
      errors: [{ path: ['id'], message: 'Invalid UUID' }],
    });
  });

  it('answers body errors (415, 400 INVALID_JSON) before validating', async () => {
    const { url } = await start((engine) => engine.post('/users', async (ctx) => ctx.json(200, await ctx.validate(user, 'body'))));
    expect((await request(`${url}/users`, { method: 'POST', headers: JSON_HEADERS, body: '{' })).json()).toMatchObject({ code: 'INVALID_JSON' });
    expect((await request(`${url}/users`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: 'x' })).status).toBe(415);
    // No body at all: undefined reaches the schema.
    expect((await request(`${url}/users`, { method: 'POST' })).json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: [], message: 'Invalid input: expected object, received undefined' }],
    });
  });

  it('works with any Standard Schema, async ones included, and caps the issues at 100', async () => {
    const everything: StandardSchemaV1<unknown, never> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async () => ({
          issues: Array.from({ length: 150 }, (_, i) => ({ message: `bad ${i}`, path: [{ key: 'list' }, i] })),
        }),
      },
    };
    const { url } = await start((engine) => engine.post('/x', async (ctx) => ctx.json(200, await ctx.validate(everything, 'body'))));
    const res = await request(`${url}/x`, { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    const body = res.json<{ errors: { path: unknown[]; message: string }[] }>();
    expect(body.errors).toHaveLength(100);
    expect(body.errors[99]).toEqual({ path: ['list', 99], message: 'bad 99' });
  });

  it('refuses what is not a schema, and a bad source, as programmer errors (500)', async () => {
    const errors: unknown[] = [];
    const { url } = await start(
      (engine) => {
        engine.post('/not-schema', async (ctx) => ctx.json(200, await ctx.validate({} as never, 'body')));
        engine.post('/bad-source', async (ctx) => ctx.json(200, await ctx.validate(user, 'headers' as never)));
      },
      { onError: (error) => errors.push(error) },
    );
    expect((await request(`${url}/not-schema`, { method: 'POST' })).status).toBe(500);
    expect((await request(`${url}/bad-source`, { method: 'POST' })).status).toBe(500);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'ctx.validate(schema, from): schema must implement Standard Schema v1 (a "~standard" property with version 1), e.g. a zod 4 schema; got object',
      "ctx.validate(schema, from): from must be 'body', 'query' or 'params', got \"headers\"",
    ]);
  });
});

describe('security: bodies and validation', () => {
  it('refuses __proto__ and constructor.prototype keys in JSON bodies with 400', async () => {
    const { url } = await start((engine) => engine.post('/echo', async (ctx) => ctx.json(200, await ctx.req.body())));
    for (const body of ['{"__proto__":{"admin":true}}', '{"a":{"constructor":{"prototype":{"admin":true}}}}', '[{"__proto__":{}}]']) {
      const res = await request(`${url}/echo`, { method: 'POST', headers: JSON_HEADERS, body });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_JSON' });
    }
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('keeps a __proto__ query key as data, never as a prototype', async () => {
    // A schema that passes the value through, to see exactly what the engine built.
    const passThrough: StandardSchemaV1<unknown, Record<string, unknown>> = {
      '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: value as Record<string, unknown> }) },
    };
    const { port } = await start((engine) =>
      engine.get('/q', async (ctx) => {
        const value = await ctx.validate(passThrough, 'query');
        ctx.json(200, {
          keys: Object.keys(value),
          own: Object.prototype.hasOwnProperty.call(value, '__proto__'),
          proto: Object.getPrototypeOf(value),
          polluted: ({} as Record<string, unknown>)['polluted'] ?? null,
        });
      }),
    );
    const res = await send(port, '/q?__proto__[polluted]=1&__proto__=x&constructor=y');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ keys: ['__proto__[polluted]', '__proto__', 'constructor'], own: true, proto: null, polluted: null });
  });
});
