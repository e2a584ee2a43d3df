/**
 * Validation of the user API with zod 4. zod schemas implement Standard
 * Schema v1, so the engine takes them as they are (`ctx.validate(schema,
 * 'body')`) and the Express/Fastify examples run them through the same
 * interface (users/validate.js).
 */
import { z } from 'zod';

/** Roles a user may have. */
export const ROLES = /** @type {const} */ (['admin', 'user', 'guest']);

/**
 * A user as a client sends it (POST, and PUT, which replaces the whole
 * user). Unknown members — `id`, `createdAt`, anything else — are dropped,
 * never assigned (no mass assignment), so a client may PUT back what it GOT.
 */
export const userInputSchema = z.object({
  name: z.string().trim().min(3).max(50),
  email: z.email().max(254),
  age: z.number().int().min(18).max(120),
  role: z.enum(ROLES),
});

/**
 * A query-string integer: digits only (no sign, exponent, decimals or
 * spaces), at most 6 of them, so `?page=1e9` or `?limit=-1` is a 400.
 */
const queryInteger = z
  .string()
  .regex(/^[0-9]{1,6}$/, { message: 'Expected a whole number of up to 6 digits' })
  .transform(Number);

/** Defaults of the list query. */
export const DEFAULT_PAGE = 1;
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/**
 * `GET /api/v1/users?page=&limit=`: `page` ≥ 1 (default 1),
 * 1 ≤ `limit` ≤ 100 (default 20). Other query parameters are ignored.
 */
export const listQuerySchema = z.object({
  page: queryInteger.pipe(z.number().min(1)).default(DEFAULT_PAGE),
  limit: queryInteger.pipe(z.number().min(1).max(MAX_LIMIT)).default(DEFAULT_LIMIT),
});
