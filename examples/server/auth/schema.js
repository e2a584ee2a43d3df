/**
 * What the auth routes accept (zod 4, Standard Schema v1), shared by the
 * three examples. Passwords: 12 to 128 characters (OWASP Authentication
 * Cheat Sheet: length over composition rules; a maximum so a 1 MB
 * "password" cannot make scrypt the attack). A client never chooses its
 * role: every registered account is a `user`.
 */
import { z } from 'zod';

const password = z.string().min(12).max(128);

export const registerSchema = z.object({
  name: z.string().trim().min(3).max(50),
  email: z.email().max(254),
  age: z.number().int().min(18).max(120),
  password,
});

export const loginSchema = z.object({
  email: z.string().max(254),
  password: z.string().min(1).max(128),
});

/** `PUT /api/users/profile`: the fields a user may change about themselves (not the role). */
export const profileSchema = z.object({
  name: z.string().trim().min(3).max(50),
  email: z.email().max(254),
  age: z.number().int().min(18).max(120),
});
