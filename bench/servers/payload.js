/**
 * The answer every overhead benchmark serves, the same on every framework:
 * a small JSON object, serialised per request.
 */

/** @type {Readonly<{ hello: string, items: number[] }>} */
export const PAYLOAD = Object.freeze({ hello: 'world', items: [1, 2, 3] });

/** The body a client must receive. */
export const PAYLOAD_JSON = JSON.stringify(PAYLOAD);

/**
 * A complaint for {@link import('../lib/load.js').verify}, or undefined when
 * the answer is the payload.
 *
 * @param {number} status
 * @param {string} body
 * @returns {string | undefined}
 */
export function checkPayload(status, body) {
  if (status !== 200) return `expected status 200`;
  if (body !== PAYLOAD_JSON) return `expected body ${PAYLOAD_JSON}`;
  return undefined;
}
