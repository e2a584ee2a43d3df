/**
 * The role hierarchy, compiled once (INCITS 359 hierarchical RBAC): a
 * senior role lists the roles it `inherits` and acquires their permissions
 * — and counts as them for role checks (`admin` passes a `viewer` check).
 * The hierarchy must be a partial order: a cycle, a self-loop or an
 * unknown role refuses the configuration, naming the roles.
 */
import { describeValue } from '@ward/core';
import { PermissionSet, permissionOf } from './permissions.js';

/** One role of a policy. */
export interface RoleDefinition {
  /** Permissions this role grants; `*` wildcards as whole segments (`orders:*`, `*:read`, `*`). Default: none. */
  permissions?: readonly string[];
  /** Junior roles whose permissions (and role checks) this one acquires. Each must be a role of the same policy. Default: none. */
  inherits?: readonly string[];
}

/** A role with everything it implies, compiled at configuration. */
export interface CompiledRole {
  /** This role and every role below it. */
  readonly roles: ReadonlySet<string>;
  /** Its own grants and every junior's. */
  readonly permissions: PermissionSet;
}

/**
 * Role names: 1 to 128 characters, no whitespace, controls, quotes,
 * backslash, or the `|`, `&`, `*` that metric labels and descriptions use
 * as operators (`role:admin|editor`). Case-sensitive.
 */
const ROLE_NAME = /^[^\s"\\|&*\p{Cc}]{1,128}$/u;

/** Validates and compiles the `roles` of a policy: the transitive roles and permissions of each. */
export function compileRoles(definitions: unknown, where: string): ReadonlyMap<string, CompiledRole> {
  if (typeof definitions !== 'object' || definitions === null || Array.isArray(definitions)) {
    throw new TypeError(`${where}.roles must be an object such as { admin: { inherits: ['user'] }, user: { permissions: ['profile:read'] } }, got ${describeValue(definitions)}`);
  }
  const defs = new Map<string, { permissions: string[]; inherits: string[] }>();
  for (const [name, definition] of Object.entries(definitions as Record<string, unknown>)) {
    const at = `${where}.roles[${JSON.stringify(name)}]`;
    if (!ROLE_NAME.test(name)) throw new RangeError(`${at}: a role name must be 1 to 128 characters without whitespace, quotes, backslash, '|', '&' or '*'`);
    if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) throw new TypeError(`${at} must be { permissions?, inherits? }, got ${describeValue(definition)}`);
    for (const key of Object.keys(definition)) if (key !== 'permissions' && key !== 'inherits') throw new TypeError(`${at}: unknown member "${key}" (known: permissions, inherits)`);
    const d = definition as RoleDefinition;
    const permissions = list(d.permissions, `${at}.permissions`).map((p, i) => permissionOf(p, `${at}.permissions[${i}]`, true));
    const inherits = list(d.inherits, `${at}.inherits`);
    defs.set(name, { permissions, inherits });
  }
  for (const [name, { inherits }] of defs) {
    for (const junior of inherits) {
      if (!defs.has(junior)) throw new RangeError(`${where}.roles[${JSON.stringify(name)}].inherits names an unknown role ${describeValue(junior)} (known: ${[...defs.keys()].join(', ') || 'none'})`);
    }
  }

  const compiled = new Map<string, CompiledRole>();
  // The path of the depth-first walk: meeting a role already on it is a cycle.
  const path: string[] = [];
  function compile(name: string): CompiledRole {
    const done = compiled.get(name);
    if (done !== undefined) return done;
    if (path.includes(name)) {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new RangeError(`${where}.roles: the hierarchy has a cycle: ${cycle.join(' → ')} (a role may not inherit itself, directly or through others)`);
    }
    path.push(name);
    const def = defs.get(name)!;
    const roles = new Set([name]);
    const grants = [...def.permissions];
    for (const junior of def.inherits) {
      const below = compile(junior);
      for (const role of below.roles) roles.add(role);
      grants.push(...below.permissions.list());
    }
    path.pop();
    const role: CompiledRole = Object.freeze({ roles, permissions: new PermissionSet(grants) });
    compiled.set(name, role);
    return role;
  }
  // In the policy's own order, so messages list the roles as written.
  return new Map([...defs.keys()].map((name) => [name, compile(name)]));
}

function list(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) throw new TypeError(`${where} must be a list of strings, got ${describeValue(value)}`);
  return [...(value as string[])];
}
