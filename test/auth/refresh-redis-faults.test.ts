/**
 * RedisRefreshStore when Redis goes away and comes back: logins and
 * refreshes fail with REFRESH_STORE_UNAVAILABLE (never hang, never a wrong
 * "invalid token"), and work again by themselves once Redis is back. The
 * NOSCRIPT path: a server that lost its scripts still rotates.
 */
import { RedisRefreshStore, createTokenService, isAuthError } from '@ward/auth';
import { describe, expect, it } from 'vitest';
import { cleanups } from '../rate-limit/helpers.js';
import { privateRedis } from './outage.js';
import { AUDIENCE, ISSUER, SECRET } from './tokens.js';

const cleanup = cleanups();

describe('RedisRefreshStore faults', () => {
  it('down: REFRESH_STORE_UNAVAILABLE; back: works; scripts flushed: still rotates', async () => {
    const { server, client } = await privateRedis(cleanup);
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET }, store: new RedisRefreshStore({ client, timeoutMs: 500 }) });
    const pair = await tokens.issue('user-1');

    await server.stop();
    await new Promise<void>((resolve) => (client.status === 'ready' ? client.once('close', () => resolve()) : resolve()));
    for (const attempt of [tokens.issue('user-2'), tokens.refresh(pair.refreshToken)]) {
      const error = await attempt.then(() => undefined, (e: unknown) => e);
      expect(isAuthError(error) && error.code).toBe('REFRESH_STORE_UNAVAILABLE');
    }

    // Restarted empty (no persistence): the old family is gone, new logins work.
    await server.start();
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    const again = await tokens.issue('user-1');
    await client.script('FLUSH');
    const next = await tokens.refresh(again.refreshToken);
    expect(next.refreshToken).not.toBe(again.refreshToken);
    await expect(tokens.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
  });

  it('a damaged family hash (a field deleted, the grant not an object, roles not a list) is REFRESH_TOKEN_INVALID, never a TypeError; a reuse of a family without sub is still REFRESH_TOKEN_REUSED', async () => {
    const { client } = await privateRedis(cleanup);
    const prefix = 'dmg:';
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET }, store: new RedisRefreshStore({ client, prefix }) });
    const damage: [string, (key: string) => Promise<unknown>][] = [
      ['grant deleted', (key) => client.hdel(key, 'grant')],
      ['grant null', (key) => client.hset(key, 'grant', 'null')],
      ['grant not JSON', (key) => client.hset(key, 'grant', '{oops')],
      ['roles a string', (key) => client.hset(key, 'grant', '{"roles":"admin"}')],
      ['sub deleted', (key) => client.hdel(key, 'sub')],
    ];
    for (const [name, harm] of damage) {
      const pair = await tokens.issue('user-1', { roles: ['user'] });
      await harm(`${prefix}{${pair.refreshToken.slice(0, 22)}}`);
      const error = await tokens.refresh(pair.refreshToken).then(() => undefined, (e: unknown) => e);
      expect(isAuthError(error) && error.code, name).toBe('REFRESH_TOKEN_INVALID');
    }
    const pair = await tokens.issue('user-1');
    await tokens.refresh(pair.refreshToken);
    await client.hdel(`${prefix}{${pair.refreshToken.slice(0, 22)}}`, 'sub');
    await expect(tokens.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
  });
});
