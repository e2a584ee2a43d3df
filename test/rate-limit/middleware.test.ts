/**
 * rateLimit() beyond the conformance scenarios: the one-time warning when
 * requests carry X-Forwarded-For that the adapter does not trust (the most
 * common misconfiguration behind a proxy), through real HTTP on the engine.
 */
import { listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { MemoryStore, rateLimit } from '@ward/rate-limit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function app(trustProxy: false | string) {
  const engine = new Engine({ trustProxy });
  engine.use(rateLimit({ name: 'xff', policies: [{ name: 'p', limit: 100, windowMs: 60_000 }], store: new MemoryStore(), registry: new Registry() }));
  engine.get('/', (ctx) => ctx.json(200, { ip: ctx.req.ip }));
  const server = await listen(engine.handler);
  servers.push(server);
  return server.url;
}

/** Every process warning with `code` emitted while `run` runs (and the turn after). */
async function warningsDuring(code: string, run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === code) seen.push(warning.message);
  };
  process.on('warning', onWarning);
  try {
    await run();
    // emitWarning delivers on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('rateLimit: forwarded addresses nobody trusts', () => {
  it('warns once per middleware, naming the fix, when X-Forwarded-For arrives without trustProxy', async () => {
    const url = await app(false);
    const seen = await warningsDuring('WARD_RATE_LIMIT_FORWARDED_UNTRUSTED', async () => {
      expect((await request(url)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await request(url, { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).json()).toEqual({ ip: '127.0.0.1' });
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('rateLimit "xff": requests carry X-Forwarded-For but the client address is the socket\'s (127.0.0.1)');
    expect(seen[0]).toContain("set the adapter's trustProxy option");
  });

  it('stays quiet when the adapter trusts the proxy', async () => {
    const url = await app('loopback');
    const seen = await warningsDuring('WARD_RATE_LIMIT_FORWARDED_UNTRUSTED', async () => {
      expect((await request(url, { headers: { 'x-forwarded-for': '198.51.100.7' } })).json()).toEqual({ ip: '198.51.100.7' });
    });
    expect(seen).toEqual([]);
  });
});
