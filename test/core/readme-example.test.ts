/**
 * The middleware example of src/core/README.md, compiled and run, so the
 * README cannot rot: keep the two in step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, defineMiddleware, describeMiddleware, HttpError, markFactory, type Middleware } from '@ward/core';
import { listen, request, type TestServer } from '@ward/core/testing';
import { wardListener } from '@ward/node';

// --- begin README example ---------------------------------------------------
export interface ApiKeyOptions {
  /** Accepted keys. Required. */
  keys: readonly string[];
  /** Header carrying the key. Default: `x-api-key`. */
  header?: string;
}

export const apiKey = markFactory(function apiKey(options: ApiKeyOptions): Middleware {
  // Validate and precompute at factory time; the request path stays trivial.
  if (!Array.isArray(options?.keys) || options.keys.length === 0) {
    throw new TypeError(`apiKey: keys must be a non-empty array of strings, got ${JSON.stringify(options?.keys)}`);
  }
  const accepted = new Set(options.keys);
  const header = (options.header ?? 'x-api-key').toLowerCase();

  return defineMiddleware('apiKey', options, async function apiKey(ctx, next) {
    const key = ctx.req.header(header);
    if (key === undefined || !accepted.has(key)) {
      ctx.problem(new HttpError(401, { code: 'API_KEY_INVALID', headers: { 'www-authenticate': 'ApiKey' } }));
      return; // not calling next() ends the chain
    }
    await next();
    ctx.res.setHeader('x-authenticated', 'api-key'); // still possible after next(): deferred commit
  });
});
// --- end README example -----------------------------------------------------

describe('README example: apiKey', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await listen(wardListener([apiKey({ keys: ['k1'] })], (_req, res) => res.end('secret stuff')));
  });
  afterAll(() => server.close());

  it('lets a known key through and adds its header after next()', async () => {
    const res = await request(server.url, { headers: { 'x-api-key': 'k1' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('secret stuff');
    expect(res.headers['x-authenticated']).toBe('api-key');
  });

  it('answers an unknown key with a 401 problem', async () => {
    const res = await request(server.url, { headers: { 'x-api-key': 'nope' } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('ApiKey');
    expect(res.json()).toEqual({ type: 'urn:ward:problem:api-key-invalid', title: 'Unauthorized', status: 401, code: 'API_KEY_INVALID' });
  });

  it('is refused when registered without its call', () => {
    expect(() => compose([apiKey as unknown as Middleware])).toThrow('Call it: apiKey({ … })');
  });

  it('validates at factory time', () => {
    expect(() => apiKey({ keys: [] })).toThrow(new TypeError('apiKey: keys must be a non-empty array of strings, got []'));
  });

  it('describes itself', () => {
    expect(describeMiddleware(apiKey({ keys: ['k1'], header: 'x-key' }))).toEqual({ name: 'apiKey', options: { keys: ['k1'], header: 'x-key' } });
  });
});
