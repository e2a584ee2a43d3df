/**
 * Edge middleware on Express 5 (servers/edge.js). Variants:
 * - `bare`: one `res.json()` route
 * - `ward`: the same with `app.use(ward([...six]))` in front
 * - `peers`: the same with express-request-id, connect-timeout, helmet and cors in front
 */
import { createServer } from 'node:http';
import { serve, variantArg } from '../lib/child.js';
import { FRAMEWORK_VARIANTS, edgeExpress } from './edge.js';

const { app, peers } = await edgeExpress(variantArg(FRAMEWORK_VARIANTS));
await serve(createServer(app), peers);
