/**
 * Edge middleware on Fastify 5 (servers/edge.js). Variants:
 * - `bare`: one route returning the payload
 * - `ward`: the same after `await app.register(ward([...six]))`
 * - `peers`: the same with `genReqId` (+ an `onRequest` hook answering the id), @fastify/helmet and @fastify/cors
 */
import { reportReady, variantArg } from '../lib/child.js';
import { FRAMEWORK_VARIANTS, edgeFastify } from './edge.js';

const { app, peers } = await edgeFastify(variantArg(FRAMEWORK_VARIANTS));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
reportReady(address.port, peers);
