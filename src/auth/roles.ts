/**
 * The role hierarchy, compiled once (INCITS 359 hierarchical RBAC): a
 * senior role lists the roles it `inherits` and acquires their permissions
 * — and counts as them for role checks (`admin` passes a `viewer` check).
 * The hierarchy must be a partial order: a cycle, a self-loop or an
 * unknown role refuses the configuration.
 */
import { describeValue } from '@ward/core';
import { PermissionSet, permissionOf } from './permissions.js';

/** One role of a policy. */
export interface RoleDefinition {
  /** Permissions granted by this role (wildcards allowed, see {@link PermissionSet}). Default: none. */
  permissions?: readonly string[];
  /** Junior roles whose permissions this one acquires. Default: none. */
  inherits?: readonly string[];
}

/** A role with everything it implies. */
export interface CompiledRole {
  /** This role and every role below it. */
  readonly roles: ReadonlySet<string>;
  readonly permissions: PermissionSet;
}

export function compileRoles(definitions: unknown, where: string): ReadonlyMap<string, CompiledRole> {
  if (typeof definitions !== 'object' || definitions === null || Array.isArray(definitions)) throw new TypeError(`${where}.roles must be an object such as { admin: { inherits: ['user'] }, user: { permissions: ['profile:read'] } }, got ${describeValue(definitions)}`);
  const defs = new Map<string, { permissions: string[]; inherits: string[] }>();
  for (const [name, definition] of Object.entries(definitions as Record<string, unknown>)) {
    const at = `${where}.roles.${name}`;
    if (typeof definition !== 'object' || definition === null) throw new TypeError(`${at} must be { permissions?, inherits? }, got ${describeValue(definition)}`);
    const d = definition as RoleDefinition;
    for (const key of Object.keys(d)) if (key !== 'permissions' && key !== 'inherits') throw new TypeError(`${at}: unknown member "${key}" (known: permissions, inherits)`);
    const permissions = list(d.permissions, `${at}.permissions`).map((p, i) => permissionOf(p, `${at}.permissions[${i}]`, true));
    const inherits = list(d.inherits, `${at}.inherits`);
    defs.set(name, { permissions, inherits });
  }
  for (const [name, { inherits }] of defs) {
    for (const junior of inherits) {
      if (typeof junior !== 'string' || !defs.has(junior)) throw new RangeError(`${where}.roles.${name}.inherits names an unknown role ${describeValue(junior)} (known: ${[...defs.keys()].join(', ')})`);
    }
  }

  const compiled = new Map<string, CompiledRole>();
  const visiting: string[] = [];
  function compile(name: string): CompiledRole {
    const done = compiled.get(name);
    if (done !== undefined) return done;
    if (visiting.includes(name)) throw new RangeError(`${where}.roles: the hierarchy has a cycle: ${[...visiting.slice(visiting.indexOf(name)), name].join(' → ')}`);
    visiting.push(name);
    const def = defs.get(name)!;
    const roles = new Set([name]);
    const grants = [...def.permissions];
    for (const junior of def.inherits) {
      const below = compile(junior);
      for (const role of below.roles) roles.add(role);
      grants.push(...below.permissions.list());
    }
    visiting.pop();
    const role: CompiledRole = { roles, permissions: new PermissionSet(grants) };
    compiled.set(name, role);
    return role;
  }
  for (const name of defs.keys()) compile(name);
  return compiled;
}

function list(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) throw new TypeError(`${where} must be a list of strings, got ${describeValue(value)}`);
  return [...(value as string[])];
}
