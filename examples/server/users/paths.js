/**
 * Where the user API lives, in one place for all three examples.
 */

/** Prefix of the versioned API. */
export const API_PREFIX = '/api/v1';

/** The users collection. */
export const USERS_PATH = `${API_PREFIX}/users`;

/**
 * The `Location` of one user (RFC 9110 §10.2.2; a relative reference is
 * allowed). The id is percent-encoded, so no id can bend the path.
 *
 * @param {string} id
 * @returns {string}
 */
export function userLocation(id) {
  return `${USERS_PATH}/${encodeURIComponent(id)}`;
}
