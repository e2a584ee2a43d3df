/**
 * The auth routes on the engine (see handlers.js for the table): the
 * handlers as route handlers, the profile behind `requireUser`, the admin
 * pages in the `/api/v1` group behind `requireRole('admin')`.
 */
import { AUTH_ROUTES, authHandlers } from './handlers.js';

/**
 * @param {import('@ward/engine').Engine} engine
 * @param {import('./service.js').ExampleAuth} auth
 * @param {import('@ward/auth').Rbac} access
 * @param {import('@ward/engine').RouterGroup} api the `/api/v1` group (already requiring a user)
 */
export function mountAuthRoutes(engine, auth, access, api) {
  const handlers = authHandlers(auth);
  for (const [, path, name] of AUTH_ROUTES) engine.post(path, handlers[name]);
  const profile = engine.group('/api/users', access.requireUser());
  profile.get('/profile', handlers.getProfile);
  profile.put('/profile', handlers.putProfile);
  const admin = api.group('/admin', access.requireRole('admin'));
  admin.get('/dashboard', handlers.dashboard);
  admin.get('/stats', handlers.stats);
}
