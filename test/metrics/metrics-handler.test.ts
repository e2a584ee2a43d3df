/**
 * metricsHandler() through real HTTP on @ward/node.
 */
import { compose } from '@ward/core';
import { metricsHandler, wardCounter } from '@ward/metrics';
import { wardListener } from '@ward/node';
import { type OpenMetricsContentType, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { linesOf, listen, send } from './http.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function serve(...middleware: Parameters<typeof wardListener>[0][number][]): Promise<string> {
  const server = await listen(wardListener(middleware, undefined, { onError: () => {} }));
  closers.push(server.close);
  return server.url;
}

function registryWithCounter(): Registry {
  const registry = new Registry();
  wardCounter(registry, { name: 'jobs_total', help: 'Jobs.', labelNames: ['state'] }).inc({ state: 'done' }, 3);
  return registry;
}

const EXPOSITION = '# HELP ward_jobs_total Jobs.\n# TYPE ward_jobs_total counter\nward_jobs_total{state="done"} 3\n';

describe('metricsHandler', () => {
  it('GET serves the Prometheus text format with the registry content type', async () => {
    const url = await serve(metricsHandler({ registry: registryWithCounter() }));
    const reply = await send(url, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(EXPOSITION)));
    expect(reply.body).toBe(EXPOSITION);
  });

  it('HEAD answers the same headers with no body', async () => {
    const url = await serve(metricsHandler({ registry: registryWithCounter() }));
    const reply = await send(url, '/metrics', { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(EXPOSITION)));
    expect(reply.body).toBe('');
  });

  it('other methods get a 405 problem with Allow: GET, HEAD', async () => {
    const url = await serve(metricsHandler({ registry: registryWithCounter() }));
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await send(url, '/metrics', { method });
      expect(reply.status).toBe(405);
      expect(reply.headers['allow']).toBe('GET, HEAD');
      expect(reply.headers['content-type']).toBe('application/problem+json');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(reply.body)).toEqual({
        type: 'urn:ward:problem:method-not-allowed',
        title: 'Method Not Allowed',
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        detail: 'The metrics endpoint answers GET and HEAD',
      });
    }
  });

  it('serves an OpenMetrics registry with its own content type', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const url = await serve(metricsHandler({ registry }));
    const reply = await send(url, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(reply.body.trim()).toBe('# EOF');
  });

  it('with a path, answers only that path and passes the rest on', async () => {
    const registry = registryWithCounter();
    const url = await serve(metricsHandler({ registry, path: '/internal/metrics' }), (ctx) => ctx.text(200, 'app'));
    expect((await send(url, '/internal/metrics')).body).toBe(EXPOSITION);
    expect((await send(url, '/internal/metrics?format=x')).body).toBe(EXPOSITION);
    const other = await send(url, '/metrics');
    expect(other.status).toBe(200);
    expect(other.body).toBe('app');
    const post = await send(url, '/other', { method: 'POST' });
    expect(post.body).toBe('app');
  });

  it('default metrics are off unless asked for', async () => {
    const off = new Registry();
    const url = await serve(metricsHandler({ registry: off }));
    expect((await send(url, '/metrics')).body.trim()).toBe('');
  });

  it('collectDefaultMetrics: true adds the process metrics, once per registry', async () => {
    const registry = new Registry();
    const url = await serve(metricsHandler({ registry, collectDefaultMetrics: true }));
    // A second handler on the same registry does not register them twice.
    metricsHandler({ registry, collectDefaultMetrics: true });
    const body = (await send(url, '/metrics')).body;
    expect(linesOf(body, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(body).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('collectDefaultMetrics accepts prom-client settings, and skips a registry that already has them', async () => {
    const registry = new Registry();
    metricsHandler({ registry, collectDefaultMetrics: { prefix: 'app_', labels: { service: 'api' } } });
    const text = await registry.metrics();
    expect(text).toMatch(/^app_process_cpu_user_seconds_total\{service="api"\} \d/m);
    // Another prefix would be a second set; the same prefix is recognised and skipped.
    expect(() => metricsHandler({ registry: registry, collectDefaultMetrics: { prefix: 'app_' } })).not.toThrow();
  });
});

describe('metricsHandler options', () => {
  it('refuses bad options naming the option', () => {
    expect(() => metricsHandler({ path: 'metrics' })).toThrow(
      new TypeError(`metricsHandler({ path }) must be a path starting with '/', such as '/metrics', got "metrics"`),
    );
    expect(() => metricsHandler({ collectDefaultMetrics: 'yes' as never })).toThrow(
      new TypeError(`metricsHandler({ collectDefaultMetrics }) must be a boolean or prom-client's settings object, got "yes"`),
    );
    expect(() => metricsHandler({ registry: [] as never })).toThrow(TypeError);
    expect(() => metricsHandler('x' as never)).toThrow(TypeError);
  });

  it('registered without its call, the chain refuses it at start', () => {
    expect(() => compose([metricsHandler as never])).toThrow('is the factory "metricsHandler", not a middleware');
  });
});

describe('security: metricsHandler', () => {
  it('a hostile path or query never changes the answer or reaches the output', async () => {
    const url = await serve(metricsHandler({ registry: registryWithCounter(), path: '/metrics' }));
    const evil = await send(url, '/metrics?name[]=%00%0d%0aSet-Cookie:x&__proto__=1');
    expect(evil.status).toBe(200);
    expect(evil.body).toBe(EXPOSITION);
    expect(evil.headers['set-cookie']).toBeUndefined();
    // Look-alike paths are not the metrics path.
    for (const path of ['/metrics/', '/Metrics', '/metrics%00', '//metrics', '/metrics/../metrics']) {
      const reply = await send(url, path);
      expect(reply.status).toBe(404);
      expect(reply.body).not.toContain('ward_jobs_total');
    }
  });

  it('a 405 does not echo the method', async () => {
    const url = await serve(metricsHandler({ registry: registryWithCounter() }));
    const reply = await send(url, '/metrics', { method: 'PROPFIND' });
    expect(reply.status).toBe(405);
    expect(reply.body).not.toContain('PROPFIND');
  });
});
