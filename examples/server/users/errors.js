/**
 * The answers of the user API that are not successes, as `HttpError`s from
 * @ward/core: thrown by a route, they become one RFC 9457 problem+json
 * answer (the engine answers them itself; the Express and Fastify examples
 * render them in their native error handlers). Shared by all three examples,
 * so the codes are the same everywhere.
 *
 * | status | code | when |
 * | --- | --- | --- |
 * | 400 | `VALIDATION_FAILED` | body or query fails the schema (`errors` lists the issues) |
 * | 404 | `USER_NOT_FOUND` | no user with this id |
 * | 409 | `EMAIL_TAKEN` | another user has this e-mail (case-insensitive) |
 * | 507 | `USER_STORE_FULL` | the store holds its maximum of users |
 */
import { HttpError } from '@ward/core';

/** @returns {HttpError} 404 `USER_NOT_FOUND`; the id is not echoed back. */
export function userNotFound() {
  return new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'No user has this id' });
}

/** @returns {HttpError} 409 `EMAIL_TAKEN`; the address is not echoed back. */
export function emailTaken() {
  return new HttpError(409, { code: 'EMAIL_TAKEN', detail: 'Another user already has this email address' });
}

/**
 * 507 Insufficient Storage (RFC 4918 §11.5): the server cannot store more
 * users. A capacity limit of the server, not a mistake of the client, so a
 * 5xx rather than a 409; `detail` is exposed because it says nothing internal.
 *
 * @param {number} maxUsers
 * @returns {HttpError}
 */
export function storeFull(maxUsers) {
  return new HttpError(507, {
    code: 'USER_STORE_FULL',
    detail: `The user store holds its maximum of ${maxUsers} users; delete some first`,
    expose: true,
  });
}

/**
 * The error of a failed store write.
 *
 * @param {import('./store.js').WriteFailure} reason
 * @param {number} maxUsers
 * @returns {HttpError}
 */
export function writeFailure(reason, maxUsers) {
  switch (reason) {
    case 'email-taken':
      return emailTaken();
    case 'full':
      return storeFull(maxUsers);
    case 'not-found':
      return userNotFound();
  }
}

