/**
 * THE list of HTTP-level behaviours every adapter must show, run unchanged
 * on every target by run.test.ts. The scenarios live in scenarios/<topic>.ts;
 * a package adding its own behaviours adds scenarios/<package>.ts and one
 * line here (see README.md).
 */
import type { Scenario } from './harness.js';
import { ERRORS } from './scenarios/errors.js';
import { LIFECYCLE } from './scenarios/lifecycle.js';
import { RETENTION } from './scenarios/retention.js';
import { ONION } from './scenarios/onion.js';
import { REQUEST } from './scenarios/request.js';
import { SECURITY } from './scenarios/security.js';
import { REQUEST_ID } from './scenarios/request-id.js';
import { SECURITY_HEADERS } from './scenarios/security-headers.js';
import { CORS } from './scenarios/cors.js';
import { RECOVERY } from './scenarios/recovery.js';
import { TIMEOUT } from './scenarios/timeout.js';
import { LOGGER } from './scenarios/logger.js';
import { RATE_LIMIT } from './scenarios/rate-limit.js';
import { AUTH } from './scenarios/auth.js';
import { RBAC } from './scenarios/rbac.js';
import { CACHE } from './scenarios/cache.js';
import { CIRCUIT_BREAKER } from './scenarios/circuit-breaker.js';

export const SCENARIOS: readonly Scenario[] = [
  ...ONION,
  ...ERRORS,
  ...LIFECYCLE,
  ...RETENTION,
  ...REQUEST,
  ...SECURITY,
  // One line per middleware package (issue 3 onwards).
  ...REQUEST_ID,
  ...SECURITY_HEADERS,
  ...CORS,
  ...RECOVERY,
  ...TIMEOUT,
  ...LOGGER,
  ...RATE_LIMIT,
  ...AUTH,
  ...RBAC,
  ...CACHE,
  ...CIRCUIT_BREAKER,
];
