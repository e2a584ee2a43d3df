/**
 * Edge middleware on the engine (servers/edge.js). Variants:
 * - `bare`: an `Engine` with the `GET /` route and no middleware
 * - `ward`: the same with `engine.use(...six)`
 * There is no peer chain for the engine.
 */
import { createServer } from 'node:http';
import { serve, variantArg } from '../lib/child.js';
import { ENGINE_VARIANTS, edgeEngine } from './edge.js';

const { listener, peers } = await edgeEngine(variantArg(ENGINE_VARIANTS));
await serve(createServer(listener), peers);
