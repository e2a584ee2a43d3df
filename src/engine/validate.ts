/**
 * Request validation with any Standard Schema v1 validator (zod 4, valibot,
 * arktype, …): a failure is one 400 problem+json, code `VALIDATION_FAILED`,
 * whose `errors` extension lists each issue as `{ path, message }`.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { HttpError } from '@ward/core';

/** Which part of the request `ctx.validate()` checks. */
export type ValidationSource = 'body' | 'query' | 'params';

/** One entry of the `errors` extension of a `VALIDATION_FAILED` problem. */
export interface ValidationIssue {
  /** Where the issue is, as keys from the root of the checked value (`['items', 0, 'name']`); `[]` for the root. */
  path: (string | number)[];
  message: string;
}

/** Issues beyond this many are left out of the answer (a huge invalid array must not make a huge answer). */
export const MAX_VALIDATION_ISSUES = 100;

/** Throws a TypeError unless `schema` implements Standard Schema v1. */
export function checkSchema(schema: unknown): asserts schema is StandardSchemaV1 {
  const props = (schema as { '~standard'?: { version?: unknown; validate?: unknown } } | null | undefined)?.['~standard'];
  if (typeof props !== 'object' || props === null || props.version !== 1 || typeof props.validate !== 'function') {
    throw new TypeError(
      'ctx.validate(schema, from): schema must implement Standard Schema v1 (a "~standard" property with version 1), ' +
        `e.g. a zod 4 schema; got ${schema === null ? 'null' : typeof schema}`,
    );
  }
}

/** Throws a TypeError unless `from` names a part of the request. */
export function checkSource(from: unknown): asserts from is ValidationSource {
  if (from !== 'body' && from !== 'query' && from !== 'params') {
    throw new TypeError(`ctx.validate(schema, from): from must be 'body', 'query' or 'params', got ${JSON.stringify(from)}`);
  }
}

/**
 * Validates `value` with `schema`; resolves with the schema's output or
 * rejects with the 400 `VALIDATION_FAILED` HttpError.
 */
export async function validateValue<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  from: ValidationSource,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (!result.issues) return (result as StandardSchemaV1.SuccessResult<StandardSchemaV1.InferOutput<S>>).value;
  const issues = result.issues;
  const errors: ValidationIssue[] = [];
  for (let i = 0; i < issues.length && i < MAX_VALIDATION_ISSUES; i++) {
    const issue = issues[i]!;
    errors.push({ path: (issue.path ?? []).map(pathKey), message: String(issue.message) });
  }
  throw new HttpError(400, {
    code: 'VALIDATION_FAILED',
    detail: `The request ${from === 'params' ? 'path parameters are' : `${from} is`} not valid`,
    extensions: { errors },
  });
}

/** The query string as an object: one value a string, a repeated key an array. Own keys only (`__proto__` is data). */
export function queryObject(query: URLSearchParams): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of query) {
    const prior = out[key];
    if (prior === undefined) out[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[key] = [prior, value];
  }
  return out;
}

function pathKey(segment: PropertyKey | StandardSchemaV1.PathSegment): string | number {
  const key = typeof segment === 'object' ? segment.key : segment;
  return typeof key === 'number' ? key : String(key);
}
