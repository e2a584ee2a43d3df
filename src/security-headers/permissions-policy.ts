/**
 * `Permissions-Policy` (W3C Permissions Policy, a structured-field
 * dictionary: `camera=(), geolocation=(self "https://maps.example")`),
 * built and validated at factory time.
 */
import { checkBoolean, checkKeys, checkObject, show } from './validate.js';

/** One allowlist member: `self`, `*`, `src`, or an origin (`https://maps.example`). */
export type PermissionsAllowlistItem = 'self' | '*' | 'src' | `https://${string}` | `http://${string}`;

/** Features → who may use them; `[]` disables a feature everywhere; `null` removes a default. */
export type PermissionsFeatures = Readonly<Record<string, readonly PermissionsAllowlistItem[] | null>>;

/** Options of the `Permissions-Policy` header. */
export interface PermissionsPolicyOptions {
  /** Features, kebab-case as the spec names them (`'display-capture'`). Default: {@link DEFAULT_PERMISSIONS_POLICY}. */
  features?: PermissionsFeatures;
  /** Start from {@link DEFAULT_PERMISSIONS_POLICY}. Default: `true`. */
  useDefaults?: boolean;
}

/**
 * The OWASP Secure Headers Project list (ci/headers_add.json): every
 * powerful feature disabled, `sync-xhr` for the page's own origin only.
 */
export const DEFAULT_PERMISSIONS_POLICY: PermissionsFeatures = deepFreeze({
  accelerometer: [],
  autoplay: [],
  camera: [],
  'cross-origin-isolated': [],
  'display-capture': [],
  'encrypted-media': [],
  fullscreen: [],
  geolocation: [],
  gyroscope: [],
  'keyboard-map': [],
  magnetometer: [],
  microphone: [],
  midi: [],
  payment: [],
  'picture-in-picture': [],
  'publickey-credentials-get': [],
  'screen-wake-lock': [],
  'sync-xhr': ['self'],
  usb: [],
  'web-share': [],
  'xr-spatial-tracking': [],
  'clipboard-read': [],
  'clipboard-write': [],
  gamepad: [],
  hid: [],
  'idle-detection': [],
  'interest-cohort': [],
  serial: [],
  unload: [],
});

/** A feature name: a structured-field key, lower-case (the spec's names are kebab-case). */
const FEATURE = /^[a-z][a-z0-9-]*$/;

/** Builds the `Permissions-Policy` value. */
export function permissionsPolicyValue(value: unknown, where: string): string {
  checkObject(value, where);
  checkKeys(value, ['features', 'useDefaults'], where);
  const useDefaults = value['useDefaults'] ?? true;
  checkBoolean(useDefaults, `${where}.useDefaults`);
  const given = value['features'] ?? {};
  checkObject(given, `${where}.features`);
  const features = new Map<string, string>();
  if (useDefaults) for (const [name, list] of Object.entries(DEFAULT_PERMISSIONS_POLICY)) features.set(name, allowlist(list!, name));
  for (const name of Object.keys(given)) {
    const at = `${where}.features[${JSON.stringify(name)}]`;
    if (!FEATURE.test(name)) {
      throw new RangeError(`${at}: ${show(name)} is not a feature name (kebab-case, e.g. "display-capture")`);
    }
    const list = given[name];
    if (list === undefined) continue;
    if (list === null) {
      features.delete(name);
      continue;
    }
    if (!Array.isArray(list)) throw new TypeError(`${at} must be an array of allowlist members (use [] to disable), got ${show(list)}`);
    features.set(name, allowlist(checkAllowlist(list, at), name));
  }
  if (features.size === 0) throw new RangeError(`${where} names no feature; set permissionsPolicy: false to send none`);
  return [...features].map(([name, list]) => `${name}=${list}`).join(', ');
}

function checkAllowlist(list: readonly unknown[], where: string): string[] {
  const out: string[] = [];
  list.forEach((item, i) => {
    const at = `${where}[${i}]`;
    if (typeof item !== 'string') throw new TypeError(`${at} must be a string, got ${show(item)}`);
    let member: string;
    if (item === 'self' || item === '*' || item === 'src') member = item;
    else if (item === "'self'" || item === "'src'") throw new RangeError(`${at}: write ${item.slice(1, -1)} without quotes (Permissions-Policy is not CSP)`);
    else member = checkOrigin(item, at);
    if (out.includes(member)) throw new RangeError(`${at}: ${show(member)} is listed twice`);
    out.push(member);
  });
  if (out.includes('*') && out.length > 1) throw new RangeError(`${where}: "*" allows every origin and must be alone`);
  return out;
}

/** A serialized http(s) origin, and nothing that could end the quoted string it goes into. */
const ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

function checkOrigin(item: string, where: string): string {
  let url: URL | undefined;
  try {
    url = ORIGIN.test(item) ? new URL(item) : undefined;
  } catch {
    url = undefined;
  }
  // The WHATWG URL parser accepts `"` in a host: the pattern above is what keeps it out of the header.
  if (url === undefined || url.origin !== item) {
    throw new RangeError(`${where}: ${show(item)} must be self, *, src or an origin such as "https://maps.example" (scheme://host[:port], no path)`);
  }
  return `"${item}"`;
}

function allowlist(list: readonly string[], name: string): string {
  if (list.length === 1 && list[0] === '*') return '*';
  const members = list.map((m) => (m === 'self' || m === 'src' || m.startsWith('"') ? m : checkOrigin(m, name)));
  return `(${members.join(' ')})`;
}

function deepFreeze(features: Record<string, readonly PermissionsAllowlistItem[]>): PermissionsFeatures {
  for (const list of Object.values(features)) Object.freeze(list);
  return Object.freeze(features);
}
