/**
 * @ward/security-headers — OWASP Secure Headers defaults, equal to or
 * stricter than helmet 8, for every ward adapter: a lean set on API answers,
 * the full browser set (CSP with per-request nonces, COOP, Permissions-Policy,
 * Reporting-Endpoints…) on documents, chosen after the handler from the
 * response's content type; route-level CSP additions; `X-Powered-By` removed.
 */
export { securityHeaders } from './middleware.js';
export { cspAdditions } from './additions.js';
export { cspNonce, type RandomBytes } from './nonce.js';
export {
  DEFAULT_BROWSER_TYPES,
  type ReferrerPolicyToken,
  type SecurityHeadersOptions,
  type StrictTransportSecurityOptions,
} from './options.js';
export { DEFAULT_CSP_DIRECTIVES, type ContentSecurityPolicyOptions, type ReportOnlyPolicyOptions } from './csp-policy.js';
export type {
  CspAncestorSource,
  CspDirectives,
  CspKeyword,
  CspSandboxToken,
  CspSource,
  CspSourceDirectives,
} from './csp-directives.js';
export {
  DEFAULT_PERMISSIONS_POLICY,
  type PermissionsAllowlistItem,
  type PermissionsFeatures,
  type PermissionsPolicyOptions,
} from './permissions-policy.js';
