/**
 * Every target the conformance suite runs on. Add a framework by writing
 * targets/<name>.ts (see README.md) and listing it here.
 */
import type { Target } from '../harness.js';
import { engineTarget } from './engine.js';
import { express4Target, expressTarget } from './express.js';
import { fastifyTarget } from './fastify.js';
import { nodeTarget } from './node.js';

export const TARGETS: readonly Target[] = [engineTarget, expressTarget, express4Target, fastifyTarget, nodeTarget];
