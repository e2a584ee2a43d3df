/**
 * Standard Schema validation for the Express and Fastify examples, which
 * have no `ctx.validate()`: runs any Standard Schema v1 validator (zod here)
 * and throws the same 400 `VALIDATION_FAILED` problem the engine's
 * `ctx.validate()` answers — `errors: [{ path, message }]`, `path` as the
 * keys from the root (`['email']`, `[]` for the whole value), at most 100.
 */
import { HttpError } from '@ward/core';

/** @import { StandardSchemaV1 } from '@standard-schema/spec' */
/** @typedef {{ path: (string | number)[], message: string }} ValidationIssue */

/** Issues beyond this many are left out, as the engine does. */
export const MAX_VALIDATION_ISSUES = 100;

/**
 * @param {readonly StandardSchemaV1.Issue[]} issues
 * @returns {ValidationIssue[]}
 */
export function issueList(issues) {
  return issues.slice(0, MAX_VALIDATION_ISSUES).map((issue) => ({
    path: (issue.path ?? []).map((segment) => {
      const key = typeof segment === 'object' ? segment.key : segment;
      return typeof key === 'number' ? key : String(key);
    }),
    message: String(issue.message),
  }));
}

/**
 * @param {readonly StandardSchemaV1.Issue[]} issues
 * @param {'body' | 'query' | 'params'} from
 * @returns {HttpError}
 */
export function validationFailed(issues, from) {
  return new HttpError(400, {
    code: 'VALIDATION_FAILED',
    detail: `The request ${from === 'params' ? 'path parameters are' : `${from} is`} not valid`,
    extensions: { errors: issueList(issues) },
  });
}

/**
 * Validates `value`; returns the schema's output or throws a 400
 * `VALIDATION_FAILED` HttpError.
 *
 * @template {StandardSchemaV1} S
 * @param {S} schema
 * @param {unknown} value
 * @param {'body' | 'query' | 'params'} from
 * @returns {Promise<StandardSchemaV1.InferOutput<S>>}
 */
export async function validate(schema, value, from) {
  const result = await schema['~standard'].validate(value);
  if (result.issues !== undefined) throw validationFailed(result.issues, from);
  return /** @type {StandardSchemaV1.InferOutput<S>} */ (result.value);
}
