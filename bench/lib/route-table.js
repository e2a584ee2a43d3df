/**
 * The route table of the router micro-benchmark: ~100 routes of a realistic
 * REST API (static routes, one and two parameters, a static route beside a
 * parameter, wildcards), and the request paths each case looks up.
 *
 * Paths use `:name` for parameters and a trailing `*` for a wildcard; each
 * router's adapter translates the wildcard into its own syntax.
 */

/** @typedef {{ method: string, path: string }} RouteSpec */

const RESOURCES = [
  'users', 'teams', 'orgs', 'projects', 'issues', 'comments',
  'labels', 'milestones', 'releases', 'webhooks', 'invoices', 'orders',
];

/** @returns {RouteSpec[]} */
function buildRoutes() {
  /** @type {RouteSpec[]} */
  const routes = [
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/health' },
    { method: 'GET', path: '/ready' },
    { method: 'GET', path: '/metrics' },
    { method: 'GET', path: '/version' },
    { method: 'GET', path: '/openapi.json' },
    { method: 'POST', path: '/login' },
    { method: 'POST', path: '/logout' },
    { method: 'GET', path: '/api/v1/status' },
    { method: 'GET', path: '/api/v1/search' },
    { method: 'POST', path: '/api/v1/auth/token' },
    { method: 'POST', path: '/api/v1/auth/refresh' },
    { method: 'GET', path: '/api/v1/users/me' },
    { method: 'PUT', path: '/api/v1/users/me' },
  ];
  for (const resource of RESOURCES) {
    const base = `/api/v1/${resource}`;
    routes.push(
      { method: 'GET', path: base },
      { method: 'POST', path: base },
      { method: 'GET', path: `${base}/:id` },
      { method: 'PUT', path: `${base}/:id` },
      { method: 'PATCH', path: `${base}/:id` },
      { method: 'DELETE', path: `${base}/:id` },
    );
  }
  routes.push(
    { method: 'GET', path: '/api/v1/users/:id/avatar' },
    { method: 'GET', path: '/api/v1/users/:id/sessions' },
    { method: 'DELETE', path: '/api/v1/users/:id/sessions/:sessionId' },
    { method: 'GET', path: '/api/v1/orgs/:orgId/members' },
    { method: 'POST', path: '/api/v1/orgs/:orgId/members' },
    { method: 'GET', path: '/api/v1/orgs/:orgId/members/:userId' },
    { method: 'DELETE', path: '/api/v1/orgs/:orgId/members/:userId' },
    { method: 'GET', path: '/api/v1/projects/:projectId/issues' },
    { method: 'GET', path: '/api/v1/projects/:projectId/issues/:issueId' },
    { method: 'PATCH', path: '/api/v1/projects/:projectId/issues/:issueId' },
    { method: 'GET', path: '/api/v1/issues/:id/comments' },
    { method: 'POST', path: '/api/v1/issues/:id/comments' },
    { method: 'GET', path: '/api/v1/repos/:owner/:repo' },
    { method: 'GET', path: '/api/v1/repos/:owner/:repo/pulls' },
    { method: 'GET', path: '/api/v1/repos/:owner/:repo/releases/latest' },
    { method: 'GET', path: '/api/v1/invoices/:id/pdf' },
    { method: 'GET', path: '/static/*' },
    { method: 'GET', path: '/assets/*' },
    { method: 'GET', path: '/downloads/:bucket/*' },
  );
  return routes;
}

/** The table, in registration order. */
export const ROUTES = Object.freeze(buildRoutes());

/**
 * Lookups per case. Every hit names the route it must find and the
 * parameters it must produce (`*` for the wildcard's remainder), so the
 * benchmark checks both routers agree before it times them.
 *
 * @typedef {{ method: string, path: string, route: string | null, params: Record<string, string> }} Lookup
 * @type {Readonly<Record<'static' | 'param' | 'wildcard' | 'miss', readonly Lookup[]>>}
 */
export const LOOKUPS = Object.freeze({
  static: /** @type {Lookup[]} */ ([
    { method: 'GET', path: '/health', route: '/health', params: {} },
    { method: 'GET', path: '/api/v1/status', route: '/api/v1/status', params: {} },
    { method: 'GET', path: '/api/v1/users', route: '/api/v1/users', params: {} },
    { method: 'GET', path: '/api/v1/users/me', route: '/api/v1/users/me', params: {} },
    { method: 'POST', path: '/api/v1/auth/token', route: '/api/v1/auth/token', params: {} },
    { method: 'GET', path: '/api/v1/webhooks', route: '/api/v1/webhooks', params: {} },
    { method: 'GET', path: '/openapi.json', route: '/openapi.json', params: {} },
    { method: 'POST', path: '/api/v1/orders', route: '/api/v1/orders', params: {} },
  ]),
  param: /** @type {Lookup[]} */ ([
    { method: 'GET', path: '/api/v1/users/42', route: '/api/v1/users/:id', params: { id: '42' } },
    { method: 'GET', path: '/api/v1/orders/8f14e45f-ceea-467a-9575-1f6d2b3f7c3a', route: '/api/v1/orders/:id', params: { id: '8f14e45f-ceea-467a-9575-1f6d2b3f7c3a' } },
    { method: 'PUT', path: '/api/v1/projects/ward', route: '/api/v1/projects/:id', params: { id: 'ward' } },
    { method: 'DELETE', path: '/api/v1/webhooks/17', route: '/api/v1/webhooks/:id', params: { id: '17' } },
    { method: 'GET', path: '/api/v1/users/42/avatar', route: '/api/v1/users/:id/avatar', params: { id: '42' } },
    { method: 'GET', path: '/api/v1/orgs/acme/members/7', route: '/api/v1/orgs/:orgId/members/:userId', params: { orgId: 'acme', userId: '7' } },
    { method: 'GET', path: '/api/v1/repos/nodejs/node/pulls', route: '/api/v1/repos/:owner/:repo/pulls', params: { owner: 'nodejs', repo: 'node' } },
    { method: 'PATCH', path: '/api/v1/projects/p1/issues/99', route: '/api/v1/projects/:projectId/issues/:issueId', params: { projectId: 'p1', issueId: '99' } },
  ]),
  wildcard: /** @type {Lookup[]} */ ([
    { method: 'GET', path: '/static/app.js', route: '/static/*', params: { '*': 'app.js' } },
    { method: 'GET', path: '/static/css/site/main.css', route: '/static/*', params: { '*': 'css/site/main.css' } },
    { method: 'GET', path: '/assets/img/logo.svg', route: '/assets/*', params: { '*': 'img/logo.svg' } },
    { method: 'GET', path: '/downloads/reports/2025/q3/summary.pdf', route: '/downloads/:bucket/*', params: { bucket: 'reports', '*': '2025/q3/summary.pdf' } },
  ]),
  miss: /** @type {Lookup[]} */ ([
    { method: 'GET', path: '/api/v2/users', route: null, params: {} },
    { method: 'GET', path: '/api/v1/unknown/1', route: null, params: {} },
    { method: 'GET', path: '/favicon.ico', route: null, params: {} },
    { method: 'GET', path: '/api/v1/users/42/unknown', route: null, params: {} },
    { method: 'GET', path: '/api/v1/orgs/acme/members/7/roles', route: null, params: {} },
    { method: 'POST', path: '/health', route: null, params: {} },
  ]),
});
