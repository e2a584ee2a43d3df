/**
 * The example's in-memory user store (examples/server/users/store.js):
 * bounds, the e-mail index, paging, and option validation.
 */
import { describe, it, expect } from 'vitest';
import { DEFAULT_MAX_USERS, createUserStore } from '../../examples/server/users/store.js';
import { ADA, ALAN, GRACE, T0, testStore } from './user-api.js';

describe('createUserStore', () => {
  it('creates, reads, replaces and removes, keeping the e-mail index in step', async () => {
    const { store, clock } = testStore();
    const created = await store.create(ADA);
    expect(created).toEqual({ ok: true, user: { id: 'u1', ...ADA, createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString() } });
    expect(Object.isFrozen((created as { user: object }).user)).toBe(true);
    clock.now = T0 + 1000;
    const replaced = await store.replace('u1', { ...ADA, email: 'lovelace@example.com' });
    expect(replaced.ok).toBe(true);
    // The old address is free, the new one taken.
    expect((await store.create({ ...GRACE, email: 'ada@example.com' })).ok).toBe(true);
    expect(await store.create({ ...GRACE, email: 'LOVELACE@example.com' })).toEqual({ ok: false, reason: 'email-taken' });
    expect(await store.remove('u1')).toBe(true);
    expect(await store.remove('u1')).toBe(false);
    expect(await store.get('u1')).toBeUndefined();
    expect((await store.create({ ...ALAN, email: 'lovelace@example.com' })).ok).toBe(true);
    expect(await store.count()).toBe(2);
  });

  it('replace of an unknown id is not-found and creates nothing', async () => {
    const { store } = testStore();
    expect(await store.replace('nope', ADA)).toEqual({ ok: false, reason: 'not-found' });
    expect(await store.count()).toBe(0);
  });

  it('is bounded: create answers full at maxUsers, and works again after a remove', async () => {
    const { store } = testStore({ maxUsers: 2 });
    expect((await store.create(ADA)).ok).toBe(true);
    expect((await store.create(GRACE)).ok).toBe(true);
    expect(await store.create(ALAN)).toEqual({ ok: false, reason: 'full' });
    expect(await store.count()).toBe(2);
    await store.remove('u1');
    expect((await store.create(ALAN)).ok).toBe(true);
  });

  it('a taken e-mail wins over a full store (the more specific answer)', async () => {
    const { store } = testStore({ maxUsers: 1 });
    await store.create(ADA);
    expect(await store.create(ADA)).toEqual({ ok: false, reason: 'email-taken' });
  });

  it('pages in creation order; a page past the end is empty', async () => {
    const { store } = testStore();
    for (let i = 0; i < 5; i++) await store.create({ ...ADA, email: `u${i}@example.com` });
    const ids = async (page: number, limit: number): Promise<string[]> => (await store.list({ page, limit })).items.map((u) => u.id);
    expect(await ids(1, 2)).toEqual(['u1', 'u2']);
    expect(await ids(3, 2)).toEqual(['u5']);
    expect(await ids(4, 2)).toEqual([]);
    expect((await store.list({ page: 1, limit: 100 })).total).toBe(5);
  });

  it('defaults: 10 000 users, random UUIDs', async () => {
    const store = createUserStore();
    expect(store.maxUsers).toBe(DEFAULT_MAX_USERS);
    expect(DEFAULT_MAX_USERS).toBe(10_000);
    const result = await store.create(ADA);
    expect(result.ok && result.user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('refuses an id generator that repeats itself', async () => {
    const store = createUserStore({ newId: () => 'same' });
    await store.create(ADA);
    await expect(store.create(GRACE)).rejects.toThrow('newId() must return a fresh, non-empty string, got "same"');
    expect(await store.count()).toBe(1);
  });

  describe('options are checked at creation', () => {
    it.each([
      [{ maxUsers: '10' }, TypeError, 'maxUsers must be a number, got string'],
      [{ maxUsers: 0 }, RangeError, 'maxUsers must be a positive integer, got 0'],
      [{ maxUsers: 1.5 }, RangeError, 'maxUsers must be a positive integer, got 1.5'],
      [{ maxUsers: Number.POSITIVE_INFINITY }, RangeError, 'maxUsers must be a positive integer, got Infinity'],
      [{ maxUsers: Number.NaN }, RangeError, 'maxUsers must be a positive integer, got NaN'],
      [{ now: 5 }, TypeError, 'now must be a function returning milliseconds, got number'],
      [{ newId: 'x' }, TypeError, 'newId must be a function returning a string, got string'],
      [null, TypeError, 'createUserStore(options): options must be an object, got null'],
    ])('%j', (options, type, message) => {
      expect(() => createUserStore(options as never)).toThrow(type);
      expect(() => createUserStore(options as never)).toThrow(message);
    });
  });
});
