/**
 * Our defaults against helmet 8's, header by header, through real HTTP on
 * Express 5: on an HTML page every header helmet sends, we send too, with a
 * value equal or stricter (HSTS longer, X-Frame-Options DENY, every CSP
 * directive allowing a subset of what helmet's allows); and on a JSON answer
 * the headers OWASP's REST cheat sheet asks for.
 */
import { type TestResponse, listen, request } from '@ward/core/testing';
import { ward } from '@ward/express';
import { securityHeaders } from '@ward/security-headers';
import express from 'express';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function fetchBoth(path: string): Promise<{ helmet: TestResponse; ward: TestResponse }> {
  return { helmet: await request(helmetUrl + path), ward: await request(wardUrl + path) };
}

let helmetUrl = '';
let wardUrl = '';
beforeAll(async () => {
  const routes = (app: express.Express): express.Express => {
    app.get('/html', (_req, res) => {
      res.send('<p>hi</p>');
    });
    app.get('/json', (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  };
  const a = express();
  a.use(helmet());
  const b = express();
  // Both behind the same TLS-terminating proxy: helmet sends HSTS regardless, ward when it knows the request was https.
  b.use(ward([securityHeaders()], { trustProxy: 'loopback' }));
  const helmetServer = await listen(routes(a));
  const wardServer = await listen(routes(b));
  closers.push(() => helmetServer.close(), () => wardServer.close());
  helmetUrl = helmetServer.url;
  wardUrl = wardServer.url;
});

/** The CSP fetch directives that fall back to default-src (CSP3 §6.8), with their own fallbacks first. */
const FALLBACK: Readonly<Record<string, readonly string[]>> = {
  'script-src-attr': ['script-src', 'default-src'],
  'script-src-elem': ['script-src', 'default-src'],
  'style-src-attr': ['style-src', 'default-src'],
  'style-src-elem': ['style-src', 'default-src'],
};
const NO_FALLBACK = new Set(['base-uri', 'form-action', 'frame-ancestors', 'upgrade-insecure-requests', 'sandbox']);

function parseCsp(value: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const part of value.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name, new Set(sources.filter((s) => s !== "'none'")));
  }
  return out;
}

function effective(policy: Map<string, Set<string>>, name: string): Set<string> | undefined {
  if (policy.has(name)) return policy.get(name);
  if (NO_FALLBACK.has(name)) return undefined;
  for (const fallback of FALLBACK[name] ?? ['default-src']) if (policy.has(fallback)) return policy.get(fallback);
  return undefined;
}

/** For each header helmet sends: is ours equal or stricter? Returns the reason when not. */
function notStricter(name: string, ours: string | undefined, theirs: string): string | undefined {
  if (ours === undefined) return 'missing';
  switch (name) {
    case 'strict-transport-security': {
      const age = (v: string) => Number(/max-age=(\d+)/.exec(v)?.[1] ?? -1);
      if (age(ours) < age(theirs)) return `max-age ${age(ours)} < ${age(theirs)}`;
      for (const flag of ['includeSubDomains', 'preload']) if (theirs.includes(flag) && !ours.includes(flag)) return `no ${flag}`;
      return undefined;
    }
    case 'x-frame-options': {
      const rank = (v: string) => ['SAMEORIGIN', 'DENY'].indexOf(v.toUpperCase());
      return rank(ours) >= rank(theirs) && rank(ours) >= 0 ? undefined : `${ours} is looser than ${theirs}`;
    }
    case 'content-security-policy': {
      const mine = parseCsp(ours);
      const helmets = parseCsp(theirs);
      for (const [directive, allowed] of helmets) {
        const ourSet = effective(mine, directive);
        if (ourSet === undefined) return `${directive} is unrestricted`;
        for (const source of ourSet) if (!allowed.has(source)) return `${directive} allows ${source}`;
      }
      return undefined;
    }
    default:
      return ours === theirs ? undefined : `${ours} ≠ ${theirs}`;
  }
}

describe('our defaults against helmet 8 (8.3)', () => {
  it('helmet 8 sends exactly the 12 headers of STANDARDS.md §6b (so this comparison covers all of them)', async () => {
    const { helmet: res } = await fetchBoth('/html');
    const sent = Object.keys(res.headers).filter((h) => !['content-type', 'content-length', 'etag', 'date', 'connection', 'keep-alive'].includes(h));
    expect(sent.sort()).toEqual(
      [
        'content-security-policy',
        'cross-origin-opener-policy',
        'cross-origin-resource-policy',
        'origin-agent-cluster',
        'referrer-policy',
        'strict-transport-security',
        'x-content-type-options',
        'x-dns-prefetch-control',
        'x-download-options',
        'x-frame-options',
        'x-permitted-cross-domain-policies',
        'x-xss-protection',
      ].sort(),
    );
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('on an HTML page, every header helmet sends we send too, equal or stricter', async () => {
    const { helmet: theirs, ward: ours } = await fetchBoth('/html');
    const https = await request(`${wardUrl}/html`, { headers: { 'x-forwarded-proto': 'https' } });
    const verdicts: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(theirs.headers)) {
      if (['content-type', 'content-length', 'etag', 'date', 'connection', 'keep-alive'].includes(name)) continue;
      verdicts[name] = notStricter(name, (name === 'strict-transport-security' ? https : ours).headers[name] as string | undefined, value as string);
    }
    expect(Object.values(verdicts).filter((v) => v !== undefined)).toEqual([]);
    expect(Object.keys(verdicts)).toHaveLength(12);
    expect(ours.headers['x-powered-by']).toBeUndefined();
  });

  it('where we differ, we are stricter — and the comparison can tell', async () => {
    const { helmet: theirs, ward: ours } = await fetchBoth('/html');
    expect(notStricter('x-frame-options', ours.headers['x-frame-options'] as string | undefined, theirs.headers['x-frame-options'] as string)).toBeUndefined();
    expect(notStricter('x-frame-options', 'SAMEORIGIN', 'DENY')).toBe('SAMEORIGIN is looser than DENY');
    expect(notStricter('strict-transport-security', 'max-age=100', 'max-age=31536000; includeSubDomains')).toBe('max-age 100 < 31536000');
    expect(notStricter('content-security-policy', "default-src 'self'; frame-ancestors *", theirs.headers['content-security-policy'] as string)).toMatch(
      /is unrestricted|allows/,
    );
    expect(ours.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(theirs.headers['content-security-policy']).toContain("frame-ancestors 'self'");
  });

  it('we add what helmet leaves out: Permissions-Policy (OWASP)', async () => {
    const { helmet: theirs, ward: ours } = await fetchBoth('/html');
    expect(theirs.headers['permissions-policy']).toBeUndefined();
    expect(ours.headers['permissions-policy']).toMatch(/^accelerometer=\(\), autoplay=\(\), camera=\(\), .* unload=\(\)$/);
  });

  it("on JSON: no CSP bytes, but OWASP REST's nosniff, X-Frame-Options DENY, and CORP; helmet sends its whole set", async () => {
    const { helmet: theirs, ward: ours } = await fetchBoth('/json');
    expect(theirs.headers['content-security-policy']).toBeDefined();
    expect(ours.headers['content-security-policy']).toBeUndefined();
    expect(ours.headers['x-content-type-options']).toBe('nosniff');
    expect(ours.headers['x-frame-options']).toBe('DENY');
    expect(ours.headers['cross-origin-resource-policy']).toBe('same-origin');
  });
});
