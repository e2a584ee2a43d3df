/**
 * bufferLimitBytes: how much of a final handler's body @ward/node holds for
 * deferred commit before it gives up holding and streams.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Middleware } from '@ward/core';
import { listen, request, type TestServer } from '@ward/core/testing';
import { wardListener } from '@ward/node';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function observer(seen: { committed?: boolean; bodyLength?: number | undefined }): Middleware {
  return async function observer(ctx, next) {
    await next();
    seen.committed = ctx.res.committed;
    const body = ctx.res.body;
    seen.bodyLength = body === undefined ? undefined : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  };
}

/** Writes `pieces` chunks of five bytes in one turn, then ends. */
function writer(pieces: number) {
  return (_req: unknown, res: { write(chunk: string): boolean; end(): void }) => {
    for (let i = 0; i < pieces; i++) res.write('12345');
    res.end();
  };
}

describe('bufferLimitBytes', () => {
  it('holds a body up to the limit and sends it with Content-Length', async () => {
    const seen = {};
    server = await listen(wardListener([observer(seen)], writer(2), { bufferLimitBytes: 10 }));
    const res = await request(server.url);
    expect(seen).toEqual({ committed: false, bodyLength: 10 });
    expect(res.headers['content-length']).toBe('10');
    expect(res.text).toBe('1234512345');
  });

  it('streams once the held body passes the limit: committed, chunked, every byte delivered', async () => {
    const seen = {};
    server = await listen(wardListener([observer(seen)], writer(4), { bufferLimitBytes: 10 }));
    const res = await request(server.url);
    expect(seen).toEqual({ committed: true, bodyLength: undefined });
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.text).toBe('12345'.repeat(4));
  });

  it('0 streams any written byte', async () => {
    const seen = {};
    server = await listen(wardListener([observer(seen)], writer(1), { bufferLimitBytes: 0 }));
    expect((await request(server.url)).text).toBe('12345');
    expect(seen).toEqual({ committed: true, bodyLength: undefined });
  });

  it('defaults to 1 MiB', async () => {
    const seen = {};
    const mib = 1024 * 1024;
    server = await listen(
      wardListener([observer(seen)], (_req, res) => {
        res.write(Buffer.alloc(mib, 97));
        res.end();
      }),
    );
    const res = await request(server.url);
    expect(seen).toEqual({ committed: false, bodyLength: mib });
    expect(res.headers['content-length']).toBe(String(mib));
  });
});
