/**
 * rbac() decisions as evidence, over real HTTP after the real jwtAuth and
 * requestId on every stack: `ward_authz_decisions_total{check, decision}`
 * counted exactly (read from the prom-client Registry passed in), and one
 * audit record per decision — who, what, method, path, route, request id,
 * allowed — at info for allows, warn for denials, error for a failing
 * check; never the token or a claim (OWASP Logging CS).
 */
import type { Context, Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { type AuthzDecision, type AuthzLogger, jwtAuth, rbac } from '@ward/auth';
import { requestId } from '@ward/request-id';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningApp, STACKS } from '../timeout/stacks.js';
import { AUDIENCE, ISSUER, NOW_MS, SECRET, claims, hs256 } from './tokens.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  record: AuthzDecision;
  message: string | undefined;
}

for (const stack of STACKS) {
  describe(`rbac decisions counted and logged on ${stack.name}`, () => {
    const registry = new Registry();
    const lines: Line[] = [];
    const hooked: AuthzDecision[] = [];
    const keep = (level: Line['level']) => (record: object, message?: string) => void lines.push({ level, record: structuredClone(record) as AuthzDecision, message });
    const logger: AuthzLogger = { info: keep('info'), warn: keep('warn'), error: keep('error') };
    const tokens: Record<string, string> = {};
    let app: RunningApp;

    beforeAll(async () => {
      tokens['editor'] = await hs256(claims({ sub: 'editor-1', roles: ['editor'], email: 'ed@example.com' }));
      tokens['viewer'] = await hs256(claims({ sub: 'viewer-1', roles: ['viewer'], email: 'vi@example.com' }));
      const access = rbac({
        roles: { editor: { inherits: ['viewer'], permissions: ['articles:publish'] }, viewer: { permissions: ['articles:read'] } },
        registry,
        logger,
        onDecision: (d) => hooked.push(d),
      });
      const auth = jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, optional: true, registry: new Registry() });
      const guards: Record<string, Middleware> = {
        publish: access.requirePermission('articles:publish'),
        editors: access.requireRole('editor'),
        mine: access.requireOwnership(
          (_ctx: Context) => {
            throw Object.assign(new Error('SELECT * FROM orders WHERE token = eyJ…'), { code: 'ECONNRESET' });
          },
          { name: 'order-owner' },
        ),
      };
      const guard: Middleware = (ctx, next) => guards[ctx.req.path.split('/')[1]!]!(ctx, next);
      app = await stack.start({
        chain: [requestId({ registry: new Registry() }), auth],
        routeChain: [guard],
        routes: { '/publish/:id': (io) => io.json(200, { ok: true }), '/editors': (io) => io.json(200, { ok: true }), '/mine': (io) => io.json(200, { ok: true }) },
      });
    });
    afterAll(() => app.close());
    beforeEach(() => {
      lines.length = 0;
      hooked.length = 0;
    });

    const send = (path: string, who?: string) => request(`${app.url}${path}`, { headers: who === undefined ? {} : { authorization: `Bearer ${tokens[who]}` } });
    const counts = async (): Promise<Record<string, number>> => {
      const metric = registry.getSingleMetric('ward_authz_decisions_total');
      const values = metric === undefined ? [] : (await metric.get()).values;
      return Object.fromEntries(values.map((v) => [`${v.labels['check']}/${v.labels['decision']}`, v.value]));
    };

    it('ward_authz_decisions_total counts each decision once, by check and decision, with bounded labels from the configuration', async () => {
      const before = await counts();
      await send('/publish/1', 'editor');
      await send('/publish/2', 'editor');
      await send('/publish/3', 'viewer');
      await send('/publish/4');
      await send('/editors', 'viewer');
      await send('/mine', 'viewer');
      const after = await counts();
      const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
      expect(delta).toEqual({
        'permission:articles:publish/allowed': 2,
        'permission:articles:publish/denied': 1,
        'permission:articles:publish/unauthenticated': 1,
        'permission:articles:publish/error': 0,
        'role:editor/allowed': 0,
        'role:editor/denied': 1,
        'role:editor/unauthenticated': 0,
        'role:editor/error': 0,
        'order-owner/allowed': 0,
        'order-owner/denied': 0,
        'order-owner/unauthenticated': 0,
        'order-owner/error': 1,
      });
      // No series carries a request's data (ids, paths, user ids).
      expect(Object.keys(after).join(' ')).not.toMatch(/editor-1|viewer-1|\/publish\/\d/);
    });

    it('one record per decision, with who, what, method, path, route and request id; allows at info, denials at warn', async () => {
      const allowed = await send('/publish/1', 'editor');
      const denied = await send('/publish/2', 'viewer');
      const anonymous = await send('/publish/3');
      expect([allowed.status, denied.status, anonymous.status]).toEqual([200, 403, 401]);
      const ids = [allowed, denied, anonymous].map((res) => res.headers['x-request-id']);
      expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
      expect(denied.json()).toMatchObject({ code: 'FORBIDDEN', request_id: ids[1] });
      const base = { log: 'authz', check: 'permission:articles:publish', required: ['articles:publish'], method: 'GET', route: '/publish/:id' };
      expect(lines).toEqual([
        { level: 'info', message: 'authorization allowed', record: { ...base, decision: 'allowed', allowed: true, user_id: 'editor-1', path: '/publish/1', request_id: ids[0] } },
        { level: 'warn', message: 'authorization denied', record: { ...base, decision: 'denied', allowed: false, user_id: 'viewer-1', path: '/publish/2', request_id: ids[1] } },
        { level: 'warn', message: 'authorization unauthenticated', record: { ...base, decision: 'unauthenticated', allowed: false, user_id: null, path: '/publish/3', request_id: ids[2] } },
      ]);
      expect(hooked.map((d) => d.decision)).toEqual(['allowed', 'denied', 'unauthenticated']);
    });

    it('a role check records the roles it wanted', async () => {
      await send('/editors', 'viewer');
      expect(lines.map((l) => [l.level, l.record.check, l.record.required, l.record.user_id, l.record.allowed])).toEqual([['warn', 'role:editor', ['editor'], 'viewer-1', false]]);
    });

    it('a failing check is recorded at error with the error’s name and code only — not its message', async () => {
      const res = await send('/mine', 'editor');
      expect(res.status).toBe(403);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'error', message: 'authorization check failed; denied', record: { check: 'order-owner', decision: 'error', allowed: false, user_id: 'editor-1', required: [], error: { name: 'Error', code: 'ECONNRESET' } } });
      expect(JSON.stringify(lines)).not.toContain('SELECT');
    });

    it('security: no record or hook event carries the token, its signature, or any other claim', async () => {
      await send('/publish/1', 'editor');
      await send('/publish/2', 'viewer');
      await send('/editors', 'viewer');
      const all = JSON.stringify({ lines, hooked });
      expect(lines).toHaveLength(3);
      for (const token of Object.values(tokens)) {
        expect(all).not.toContain(token);
        expect(all).not.toContain(token.split('.')[2]);
        expect(all).not.toContain(token.split('.')[1]);
      }
      expect(all).not.toContain('ed@example.com');
      expect(all).not.toContain('vi@example.com');
      expect(all).not.toMatch(/claims|bearer|eyJ/i);
      const keys = ['log', 'check', 'decision', 'allowed', 'user_id', 'required', 'method', 'path', 'route', 'request_id'];
      for (const record of [...lines.map((l) => l.record), ...hooked]) expect(Object.keys(record)).toEqual(keys);
    });
  });
}

describe('rbac: the default logger and logger: false', () => {
  it('by default decisions go to @ward/logger’s shared JSON lines on stdout; logger: false writes nothing', async () => {
    const { Engine } = await import('@ward/engine');
    const { listen } = await import('@ward/core/testing');
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const setUser: Middleware = async (ctx, next) => {
      ctx.state.user = { id: 'u-42', roles: ctx.req.header('x-role') === undefined ? [] : [ctx.req.header('x-role')!], permissions: [], claims: {} };
      await next();
    };
    const engine = new Engine({ onError: () => {} });
    const loud = rbac({ roles: { a: { permissions: ['x:y'] } }, registry: new Registry() });
    const quiet = rbac({ roles: { a: { permissions: ['x:y'] } }, registry: new Registry(), logger: false });
    engine.get('/loud', setUser, loud.requirePermission('x:y'), (ctx) => ctx.json(200, {}));
    engine.get('/quiet', setUser, quiet.requirePermission('x:y'), (ctx) => ctx.json(200, {}));
    const app = await listen(engine.handler);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      written.push(text);
      // Keep the test's own lines out of the runner's output; pass everything else on.
      return text.includes('"log":"authz"') ? true : write(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      expect((await request(`${app.url}/quiet`)).status).toBe(403);
      expect((await request(`${app.url}/loud`, { headers: { 'x-role': 'a' } })).status).toBe(200);
      expect((await request(`${app.url}/loud`)).status).toBe(403);
      // The JSON-lines logger may batch: wait for its writes without sleeping.
      for (let i = 0; i < 50 && written.join('').split('\n').filter((l) => l.includes('"authz"')).length < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.stdout.write = write;
      await app.close();
    }
    const records = written.join('').split('\n').filter((l) => l.includes('"log":"authz"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => [r['path'], r['decision'], r['user_id']])).toEqual([
      ['/loud', 'allowed', 'u-42'],
      ['/loud', 'denied', 'u-42'],
    ]);
  });
});

describe('logAllowed: false', () => {
  it('logs refusals only; allowed decisions are still counted and handed to onDecision', async () => {
    const registry = new Registry();
    const lines: string[] = [];
    const hooked: string[] = [];
    const keep = (level: string) => (record: object) => void lines.push(`${level}:${(record as AuthzDecision).decision}`);
    const access = rbac({ roles: { admin: {} }, registry, logger: { info: keep('info'), warn: keep('warn'), error: keep('error') }, logAllowed: false, onDecision: (d) => hooked.push(d.decision) });
    const auth = jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, optional: true, registry: new Registry() });
    const app = await STACKS[0]!.start({ chain: [auth, access.requireRole('admin')], routes: { '/': (io) => io.json(200, {}) } });
    try {
      const admin = await hs256(claims({ roles: ['admin'] }));
      const other = await hs256(claims({ roles: [] }));
      expect((await request(`${app.url}/`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
      expect((await request(`${app.url}/`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(403);
      expect((await request(`${app.url}/`)).status).toBe(401);
    } finally {
      await app.close();
    }
    expect(lines).toEqual(['warn:denied', 'warn:unauthenticated']);
    expect(hooked).toEqual(['allowed', 'denied', 'unauthenticated']);
    const values = (await registry.getSingleMetric('ward_authz_decisions_total')!.get()).values;
    expect(values.find((v) => v.labels['decision'] === 'allowed')?.value).toBe(1);
  });

  it('must be a boolean', () => {
    expect(() => rbac({ roles: {}, logger: false, logAllowed: 'no' as never })).toThrow('rbac(options).logAllowed must be a boolean, got "no"');
  });
});
