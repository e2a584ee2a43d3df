/**
 * @ward/express — run ward middleware on Express 5 and Express 4: for a whole
 * app, one route, or a Router.
 *
 * @example
 * import express from 'express';
 * import { ward } from '@ward/express';
 *
 * const app = express();
 * app.use(ward([requestId(), securityHeaders()]));
 * app.get('/users/:id', ward([auth({ … })]), getUser);
 * app.listen(3000);
 */
export { ward } from './ward.js';
export { wardErrorHandler } from './catcher.js';
export type { ExpressAdapterOptions } from './options.js';
