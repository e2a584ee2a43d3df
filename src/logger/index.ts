/**
 * @ward/logger — structured access and audit logs for ward: one safe JSON
 * record per request (`accessLog`), a who-did-what trail for state-changing
 * requests (`auditLog`), to any pino-compatible logger or to JSON lines on
 * stdout (`jsonLinesLogger`), with redaction and log-injection escaping.
 */
export { accessLog, type AccessLogOptions } from './access-log.js';
export { auditLog, DEFAULT_AUDIT_METHODS, type AuditLogOptions } from './audit-log.js';
export type { CommonLogOptions } from './common.js';
export { defaultLogger } from './default-logger.js';
export { jsonLinesLogger, type JsonLinesLogger, type JsonLinesOptions, type LineDestination } from './json-lines.js';
export { ALWAYS_REDACTED_HEADERS, REDACTED, SECRET_NAME } from './redaction.js';
export type { AccessLogRecord, AuditLogRecord, AuditOutcome, ErrorSummary, LogLevel, StructuredLogger } from './types.js';
