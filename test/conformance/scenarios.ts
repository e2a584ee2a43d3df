/**
 * THE list of HTTP-level behaviours every adapter must show, run unchanged
 * on every target by run.test.ts. The scenarios live in scenarios/<topic>.ts;
 * a package adding its own behaviours adds scenarios/<package>.ts and one
 * line here (see README.md).
 */
import type { Scenario } from './harness.js';
import { ERRORS } from './scenarios/errors.js';
import { LIFECYCLE } from './scenarios/lifecycle.js';
import { ONION } from './scenarios/onion.js';
import { REQUEST } from './scenarios/request.js';
import { SECURITY } from './scenarios/security.js';

export const SCENARIOS: readonly Scenario[] = [...ONION, ...ERRORS, ...LIFECYCLE, ...REQUEST, ...SECURITY];
