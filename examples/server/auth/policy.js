/**
 * Who may do what in the example (@ward/auth `rbac`). The roles are the
 * user store's (`guest` < `user` < `admin`, each senior role inheriting the
 * junior's permissions); a token carries its user's role.
 */
import { rbac } from '@ward/auth';

/** @type {import('@ward/auth').RbacOptions['roles']} */
export const ROLES = Object.freeze({
  guest: { permissions: ['profile:read'] },
  user: { inherits: ['guest'], permissions: ['profile:write', 'users:read'] },
  admin: { inherits: ['user'], permissions: ['users:*', 'admin:*'] },
});

/**
 * @param {{ registry: import('@ward/metrics').MetricsRegistry, logger?: import('@ward/auth').AuthzLogger }} options
 * @returns {import('@ward/auth').Rbac}
 */
export function accessPolicy({ registry, logger }) {
  return rbac({ roles: ROLES, registry, ...(logger === undefined ? {} : { logger }) });
}
