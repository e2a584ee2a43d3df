/**
 * The baseline for the engine: the example's route table served by plain
 * `node:http` with a hand-written router (string comparisons and one
 * split on `/`), using the same store and schemas as the example. What a
 * careful engineer writes without a framework; the engine should come
 * close to it (target: ≥ 90 % of its requests per second).
 *
 * Routes: GET /health, GET|POST /api/v1/users, GET|PUT|DELETE
 * /api/v1/users/:id. Anything else is a 404, a known path with another
 * method a 405 with `Allow`.
 */
import { listQuerySchema, userInputSchema } from '../../examples/server/users/schema.js';
import { USERS_PATH, userLocation } from '../../examples/server/users/paths.js';

/**
 * @typedef {import('node:http').IncomingMessage} Req
 * @typedef {import('node:http').ServerResponse} Res
 * @typedef {import('../../examples/server/users/store.js').UserStore} UserStore
 */

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json';
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * @param {Res} res
 * @param {number} status
 * @param {unknown} value
 * @param {Record<string, string>} [headers]
 */
function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * @param {Res} res
 * @param {number} status
 * @param {string} code
 * @param {Record<string, unknown>} [extra]
 */
function sendProblem(res, status, code, extra = {}) {
  const body = JSON.stringify({ type: `urn:ward:problem:${code.toLowerCase().replace(/_/g, '-')}`, status, code, ...extra });
  res.writeHead(status, { 'content-type': PROBLEM_TYPE, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * @param {Req} req
 * @returns {Promise<unknown>}
 */
async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += /** @type {Buffer} */ (chunk).length;
    if (size > MAX_BODY_BYTES) throw new RangeError('body too large');
    chunks.push(/** @type {Buffer} */ (chunk));
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * @param {UserStore} store
 * @returns {(req: Req, res: Res) => void}
 */
export function handRouter(store) {
  /**
   * @param {Req} req
   * @param {Res} res
   * @param {string} method
   * @param {string | undefined} id undefined for the collection
   * @param {string} query
   */
  async function users(req, res, method, id, query) {
    if (id === undefined) {
      if (method === 'GET') {
        const parsed = listQuerySchema.safeParse(Object.fromEntries(new URLSearchParams(query)));
        if (!parsed.success) return sendProblem(res, 400, 'VALIDATION_FAILED', { errors: parsed.error.issues });
        const { page, limit } = parsed.data;
        const { items, total } = await store.list(parsed.data);
        return sendJson(res, 200, { items, pagination: { page, limit, total, totalPages: Math.ceil(total / limit) } });
      }
      if (method === 'POST') {
        const parsed = userInputSchema.safeParse(await readJson(req));
        if (!parsed.success) return sendProblem(res, 400, 'VALIDATION_FAILED', { errors: parsed.error.issues });
        const result = await store.create(parsed.data);
        if (!result.ok) return sendProblem(res, result.reason === 'full' ? 507 : 409, result.reason);
        return sendJson(res, 201, result.user, { location: userLocation(result.user.id) });
      }
      res.setHeader('allow', 'GET, POST');
      return sendProblem(res, 405, 'METHOD_NOT_ALLOWED');
    }
    if (method === 'GET') {
      const user = await store.get(id);
      return user === undefined ? sendProblem(res, 404, 'USER_NOT_FOUND') : sendJson(res, 200, user);
    }
    if (method === 'PUT') {
      const parsed = userInputSchema.safeParse(await readJson(req));
      if (!parsed.success) return sendProblem(res, 400, 'VALIDATION_FAILED', { errors: parsed.error.issues });
      const result = await store.replace(id, parsed.data);
      if (!result.ok) return sendProblem(res, result.reason === 'not-found' ? 404 : 409, result.reason);
      return sendJson(res, 200, result.user);
    }
    if (method === 'DELETE') {
      if (!(await store.remove(id))) return sendProblem(res, 404, 'USER_NOT_FOUND');
      res.writeHead(204).end();
      return;
    }
    res.setHeader('allow', 'GET, PUT, DELETE');
    return sendProblem(res, 405, 'METHOD_NOT_ALLOWED');
  }

  return function handRouted(req, res) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    if (path === '/health') {
      if (method === 'GET' || method === 'HEAD') return sendJson(res, 200, { status: 'ok' });
      res.setHeader('allow', 'GET, HEAD');
      return sendProblem(res, 405, 'METHOD_NOT_ALLOWED');
    }
    if (path.startsWith(USERS_PATH)) {
      const rest = path.slice(USERS_PATH.length);
      /** @type {string | undefined} */
      let id;
      if (rest === '') id = undefined;
      else if (rest.charCodeAt(0) === 47 /* / */ && rest.length > 1 && rest.indexOf('/', 1) === -1) {
        try {
          id = decodeURIComponent(rest.slice(1));
        } catch {
          return sendProblem(res, 400, 'BAD_REQUEST');
        }
      } else return sendProblem(res, 404, 'NOT_FOUND');
      users(req, res, method, id, query).catch(() => {
        if (!res.headersSent) sendProblem(res, 400, 'BAD_REQUEST');
        else res.destroy();
      });
      return;
    }
    sendProblem(res, 404, 'NOT_FOUND');
  };
}
