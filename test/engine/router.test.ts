import { isHttpError } from '@ward/core';
import { Router } from '@ward/engine';
import { describe, expect, it } from 'vitest';

function router(routes: [method: string, template: string][]): Router<string> {
  const r = new Router<string>();
  for (const [method, template] of routes) r.add(method, template, `${method} ${template}`);
  return r;
}

describe('Router: matching', () => {
  it('finds static routes, exactly and case-sensitively', () => {
    const r = router([
      ['GET', '/'],
      ['GET', '/users'],
      ['GET', '/api/v1/status'],
    ]);
    expect(r.find('GET', '/')).toEqual({ value: 'GET /', params: {}, template: '/' });
    expect(r.find('GET', '/users')).toEqual({ value: 'GET /users', params: {}, template: '/users' });
    expect(r.find('GET', '/api/v1/status')?.value).toBe('GET /api/v1/status');
    expect(r.find('GET', '/Users')).toBeUndefined();
    expect(r.find('GET', '/users/')).toBeUndefined();
    expect(r.find('POST', '/users')).toBeUndefined();
    expect(r.find('GET', '')).toBeUndefined();
    expect(r.find('GET', '*')).toBeUndefined();
  });

  it('ignores the query string', () => {
    const r = router([
      ['GET', '/users'],
      ['GET', '/users/:id'],
    ]);
    expect(r.find('GET', '/users?page=2')?.value).toBe('GET /users');
    expect(r.find('GET', '/users/7?x=/y')).toEqual({ value: 'GET /users/:id', params: { id: '7' }, template: '/users/:id' });
  });

  it('matches params and returns them by name, in path order', () => {
    const r = router([
      ['GET', '/users/:id'],
      ['GET', '/users/:id/posts/:postId'],
      ['GET', '/orgs/:orgId/members/:userId/roles'],
    ]);
    expect(r.find('GET', '/users/42')).toEqual({ value: 'GET /users/:id', params: { id: '42' }, template: '/users/:id' });
    const two = r.find('GET', '/users/42/posts/7');
    expect(two?.params).toEqual({ id: '42', postId: '7' });
    expect(Object.keys(two?.params ?? {})).toEqual(['id', 'postId']);
    expect(r.find('GET', '/orgs/acme/members/u1/roles')?.params).toEqual({ orgId: 'acme', userId: 'u1' });
  });

  it('never matches a param to an empty segment', () => {
    const r = router([['GET', '/users/:id']]);
    expect(r.find('GET', '/users/')).toBeUndefined();
    expect(r.find('GET', '/users')).toBeUndefined();
    expect(r.find('GET', '/users//')).toBeUndefined();
  });

  it('matches a named wildcard to the rest of the path, slashes included, possibly empty', () => {
    const r = router([
      ['GET', '/files/*path'],
      ['GET', '/dl/:bucket/*rest'],
    ]);
    expect(r.find('GET', '/files/a/b/c.txt')).toEqual({ value: 'GET /files/*path', params: { path: 'a/b/c.txt' }, template: '/files/*path' });
    expect(r.find('GET', '/files/')?.params).toEqual({ path: '' });
    expect(r.find('GET', '/files')).toBeUndefined();
    expect(r.find('GET', '/dl/reports/2025/q3.pdf')?.params).toEqual({ bucket: 'reports', rest: '2025/q3.pdf' });
  });

  it('prefers static over param over wildcard at each segment', () => {
    const r = router([
      ['GET', '/users/new'],
      ['GET', '/users/:id'],
      ['GET', '/users/*rest'],
    ]);
    expect(r.find('GET', '/users/new')?.value).toBe('GET /users/new');
    expect(r.find('GET', '/users/newer')?.value).toBe('GET /users/:id');
    expect(r.find('GET', '/users/ne')?.value).toBe('GET /users/:id');
    expect(r.find('GET', '/users/1/2')?.value).toBe('GET /users/*rest');
  });

  it('backtracks from a static branch to a param, and from a param to a wildcard', () => {
    const r = router([
      ['GET', '/a/b/c/:x'],
      ['GET', '/a/:y/d'],
      ['GET', '/files/:name'],
      ['GET', '/files/*path'],
      ['GET', '/users/me/settings'],
      ['GET', '/users/:id/profile'],
    ]);
    expect(r.find('GET', '/a/b/c/1')?.params).toEqual({ x: '1' });
    expect(r.find('GET', '/a/b/d')).toEqual({ value: 'GET /a/:y/d', params: { y: 'b' }, template: '/a/:y/d' });
    expect(r.find('GET', '/files/a')?.value).toBe('GET /files/:name');
    expect(r.find('GET', '/files/a/b')).toEqual({ value: 'GET /files/*path', params: { path: 'a/b' }, template: '/files/*path' });
    expect(r.find('GET', '/users/me/profile')?.params).toEqual({ id: 'me' });
  });

  it('tells a segment from a longer sibling that shares its start', () => {
    const r = router([
      ['GET', '/user/:id'],
      ['GET', '/users/:id'],
      ['GET', '/u/:id'],
      ['GET', '/us/:id'],
      ['GET', '/usr/:id'],
      ['GET', '/uploads/:id'],
    ]);
    for (const prefix of ['user', 'users', 'u', 'us', 'usr', 'uploads']) {
      expect(r.find('GET', `/${prefix}/9`)?.template).toBe(`/${prefix}/:id`);
    }
    expect(r.find('GET', '/use/9')).toBeUndefined();
  });

  it('lets routes that only share a prefix name their params differently', () => {
    const r = router([
      ['GET', '/orgs/:id'],
      ['GET', '/orgs/:orgId/members'],
      ['GET', '/orgs/:org/members/:member'],
    ]);
    expect(r.find('GET', '/orgs/acme')?.params).toEqual({ id: 'acme' });
    expect(r.find('GET', '/orgs/acme/members')?.params).toEqual({ orgId: 'acme' });
    expect(r.find('GET', '/orgs/acme/members/7')?.params).toEqual({ org: 'acme', member: '7' });
  });

  it('keeps trailing slashes and repeated slashes significant', () => {
    const r = router([
      ['GET', '/a/'],
      ['GET', '/b//c'],
      ['GET', '/p/:x/'],
    ]);
    expect(r.find('GET', '/a/')?.value).toBe('GET /a/');
    expect(r.find('GET', '/a')).toBeUndefined();
    expect(r.find('GET', '/b//c')?.value).toBe('GET /b//c');
    expect(r.find('GET', '/b/c')).toBeUndefined();
    expect(r.find('GET', '/p/1/')?.params).toEqual({ x: '1' });
    expect(r.find('GET', '/p/1')).toBeUndefined();
  });

  it('splits compressed branches when later routes diverge inside them', () => {
    const r = router([
      ['GET', '/api/v1/users/:id'],
      ['GET', '/api/v2/users/:id'],
      ['GET', '/api/:version'],
      ['GET', '/api/v1/:thing/x'],
    ]);
    expect(r.find('GET', '/api/v1/users/1')?.template).toBe('/api/v1/users/:id');
    expect(r.find('GET', '/api/v2/users/1')?.template).toBe('/api/v2/users/:id');
    expect(r.find('GET', '/api/v3')?.params).toEqual({ version: 'v3' });
    expect(r.find('GET', '/api/v1/teams/x')?.params).toEqual({ thing: 'teams' });
    // Static first: `users` wins over `:thing` even though both branches could go on.
    expect(r.find('GET', '/api/v1/users/x')?.params).toEqual({ id: 'x' });
    expect(r.find('GET', '/api/v1/usersx/x')?.params).toEqual({ thing: 'usersx' });
  });

  it('percent-decodes params after matching on the raw path', () => {
    const r = router([
      ['GET', '/users/:id'],
      ['GET', '/files/*path'],
      ['GET', '/caf%C3%A9/:x'],
    ]);
    expect(r.find('GET', '/users/a%2Fb')?.params).toEqual({ id: 'a/b' });
    expect(r.find('GET', '/users/J%C3%BCrgen')?.params).toEqual({ id: 'Jürgen' });
    expect(r.find('GET', '/users/a+b')?.params).toEqual({ id: 'a+b' });
    expect(r.find('GET', '/files/a%20b/c%2Fd')?.params).toEqual({ path: 'a b/c/d' });
    expect(r.find('GET', '/caf%C3%A9/1')?.params).toEqual({ x: '1' });
  });

  it('throws a 400 HttpError for a malformed escape in a matched param', () => {
    const r = router([['GET', '/users/:id']]);
    let caught: unknown;
    try {
      r.find('GET', '/users/%E0%A4%A');
    } catch (error) {
      caught = error;
    }
    expect(isHttpError(caught)).toBe(true);
    expect(caught).toMatchObject({ status: 400, code: 'BAD_REQUEST', detail: 'The path parameter "id" has a malformed percent-encoding' });
    expect(() => r.find('GET', '/users/%zz')).toThrow('malformed percent-encoding');
    // has() and allowedMethods() never decode, so they never throw.
    expect(r.has('GET', '/users/%zz')).toBe(true);
    expect(r.allowedMethods('/users/%zz')).toEqual(['GET']);
  });
});

describe('Router: allowed methods', () => {
  it('lists the methods matching a path in Allow order, others A→Z after', () => {
    const r = router([
      ['PROPFIND', '/docs/:id'],
      ['DELETE', '/docs/:id'],
      ['POST', '/docs/:id'],
      ['GET', '/docs/:id'],
      ['OPTIONS', '/docs/:id'],
      ['COPY', '/docs/:id'],
      ['PUT', '/other'],
    ]);
    expect(r.allowedMethods('/docs/1')).toEqual(['GET', 'POST', 'DELETE', 'OPTIONS', 'COPY', 'PROPFIND']);
    expect(r.allowedMethods('/other')).toEqual(['PUT']);
    expect(r.allowedMethods('/nothing')).toEqual([]);
  });

  it('lists every route added', () => {
    const r = router([
      ['GET', '/a'],
      ['POST', '/b/:id'],
    ]);
    expect(r.routes()).toEqual([
      { method: 'GET', template: '/a' },
      { method: 'POST', template: '/b/:id' },
    ]);
  });
});

describe('Router: registration errors', () => {
  it('refuses a second route of the same shape with other names', () => {
    const r = router([
      ['GET', '/users/:id'],
      ['GET', '/files/*path'],
      ['GET', '/a/:x/b/:y'],
    ]);
    expect(() => r.add('GET', '/users/:name', 'x')).toThrow(
      new RangeError('Route GET /users/:name conflicts with GET /users/:id: ":name" and ":id" are parameters at the same position; give them one name'),
    );
    expect(() => r.add('GET', '/files/*rest', 'x')).toThrow(
      new RangeError('Route GET /files/*rest conflicts with GET /files/*path: "*rest" and "*path" are wildcards at the same position; give them one name'),
    );
    expect(() => r.add('GET', '/a/:x/b/:z', 'x')).toThrow(
      new RangeError('Route GET /a/:x/b/:z conflicts with GET /a/:x/b/:y: ":z" and ":y" are parameters at the same position; give them one name'),
    );
    // Another method is another table.
    expect(() => r.add('POST', '/users/:name', 'x')).not.toThrow();
  });

  it('refuses duplicates, static or not', () => {
    const r = router([
      ['GET', '/users'],
      ['GET', '/users/:id'],
      ['GET', '/files/*path'],
    ]);
    expect(() => r.add('GET', '/users', 'x')).toThrow(new RangeError('Duplicate route: GET /users is already registered'));
    expect(() => r.add('GET', '/users/:id', 'x')).toThrow(new RangeError('Duplicate route: GET /users/:id is already registered'));
    expect(() => r.add('GET', '/files/*path', 'x')).toThrow(new RangeError('Duplicate route: GET /files/*path is already registered'));
  });

  it('leaves the table unchanged when it refuses a route', () => {
    const r = router([['GET', '/users/:id']]);
    expect(() => r.add('GET', '/users/:name', 'x')).toThrow(RangeError);
    expect(r.find('GET', '/users/1')).toEqual({ value: 'GET /users/:id', params: { id: '1' }, template: '/users/:id' });
    expect(r.routes()).toHaveLength(1);
  });

  it.each([
    ['users', 'Route path "users" must start with "/" (e.g. "/users")'],
    ['', 'Route path "" must start with "/" (e.g. "/")'],
    ['/files/*path/x', 'Route path "/files/*path/x": the wildcard "*path" must be the last segment (it matches the rest of the path)'],
    ['/files/*', 'Route path "/files/*": a wildcard needs a name, e.g. "*path"'],
    ['/users/:', 'Route path "/users/:": a parameter needs a name, e.g. ":id"'],
    [
      '/users/:user-id',
      'Route path "/users/:user-id": "user-id" is not a valid parameter name; use letters, digits and "_", not starting with a digit (a parameter takes a whole segment)',
    ],
    [
      '/users/:1st',
      'Route path "/users/:1st": "1st" is not a valid parameter name; use letters, digits and "_", not starting with a digit (a parameter takes a whole segment)',
    ],
    [
      '/users/:id.json',
      'Route path "/users/:id.json": "id.json" is not a valid parameter name; use letters, digits and "_", not starting with a digit (a parameter takes a whole segment)',
    ],
    [
      '/x/:__proto__',
      'Route path "/x/:__proto__": "__proto__" is not a valid parameter name; use letters, digits and "_", not starting with a digit (a parameter takes a whole segment)',
    ],
    ['/a/:id/b/:id', 'Route path "/a/:id/b/:id" uses the name "id" twice; give each parameter its own name'],
    ['/search?q', 'Route path "/search?q" contains "?": routes match the path only; read the query with ctx.req.query'],
    [
      '/café',
      'Route path "/café" contains "é", which a client sends percent-encoded; routes match the raw path, so write it encoded: "/caf%C3%A9"',
    ],
    [
      '/a b',
      'Route path "/a b" contains " ", which a client sends percent-encoded; routes match the raw path, so write it encoded: "/a%20b"',
    ],
    ['/100%', 'Route path "/100%" has a "%" that is not followed by two hex digits; write a literal "%" as "%25"'],
  ])('refuses the template %j', (template, message) => {
    expect(() => new Router().add('GET', template, 'x')).toThrow(new RangeError(message));
  });

  it('refuses bad methods and non-string templates', () => {
    const r = new Router<string>();
    expect(() => r.add('get', '/a', 'x')).toThrow(new RangeError('Router.add(method): methods are case-sensitive and upper-case; use "GET"'));
    expect(() => r.add('GE T', '/a', 'x')).toThrow(TypeError);
    expect(() => r.add('GET', 42 as unknown as string, 'x')).toThrow(new TypeError('A route path must be a string, got number'));
  });

  it('takes ":" and "*" inside a segment literally', () => {
    const r = router([['POST', '/v1/files:batchGet']]);
    expect(r.find('POST', '/v1/files:batchGet')?.params).toEqual({});
    expect(r.find('POST', '/v1/files')).toBeUndefined();
  });
});
