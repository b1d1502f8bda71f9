/**
 * Logger options shared by the server and the app. Secrets and personal data never reach a log:
 * - errors are serialized through an allow-list (never a database error's `params`, `detail` or
 *   `query`), with personal-data-shaped values masked in their message and stack;
 * - URLs are masked (identifiers and one-time tokens travel in paths and query strings);
 * - known secret fields are redacted wherever they appear, two levels deep: a safety net for the
 *   occasional object a module logs. It costs ~1 µs per path, which is why the per-request access
 *   line does not go through it (see src/access-log.ts: allow-listed fields only).
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { LogLevel } from './config.ts'

export const SERVICE_NAME = 'insw-gateway'

const SENSITIVE_FIELDS = [
  'password', 'newPassword', 'currentPassword', 'secret', 'clientSecret', 'client_secret',
  'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'id_token', 'code_verifier',
  'nik', 'npwp', 'identityNumber', 'otp', 'email', 'mobile', 'params',
]

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
]

/** Query parameters whose values are never logged, whatever they look like. */
const SENSITIVE_QUERY = new Set(
  SENSITIVE_FIELDS.map((field) => field.toLowerCase()).concat(['code', 'state', 'id_token_hint', 'login_hint', 'to', 'username', 'phone']),
)

/**
 * Personal-data shapes: NIK (16 digits) and NPWP (15 or 16 digits) as runs, NPWP formatted
 * (01.234.567.8-901.000), e-mail addresses and Indonesian mobile numbers (08…, 628…, +628…).
 */
const PERSONAL_DATA = /\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}|\d{15,}|[^\s"'<>()[\]{}:;,=&?/@]+@[^\s"'<>()[\]{}:;,=&?/@]+\.[A-Za-z]{2,}|(?:\+62|62|0)8\d{7,12}/g
/** A cheap pre-test: without a digit run of 9+ or an @, nothing can match PERSONAL_DATA. */
const MAYBE_PERSONAL = /\d{9}|@|\d{2}\.\d{3}\.\d{3}\./

/** Masks NIK/NPWP-shaped digit runs, formatted NPWPs, e-mail addresses and mobile numbers. */
export function maskPersonalData(text: string): string {
  if (!MAYBE_PERSONAL.test(text)) return text
  return text.replace(PERSONAL_DATA, (match) => (match.includes('@') ? '***@***' : `${match.slice(0, 2)}***${match.slice(-2)}`))
}

const REDACTED_QUERY_VALUE = encodeURIComponent('[Redacted]')
/** The same pre-test on a raw query value, where an @ may arrive percent-encoded. */
const MAYBE_PERSONAL_ENCODED = /\d{9}|@|%40|\d{2}\.\d{3}\.\d{3}\./i

const SENSITIVE_QUERY_KEY = new RegExp(`(?:^|&)(?:${[...SENSITIVE_QUERY].map((key) => key.replace(/[^a-z0-9]/g, '\\$&')).join('|')})=`, 'i')
/** A percent-encoded or `+`-spaced key: only a full parse can tell what it says. */
const ENCODED_QUERY_KEY = /(?:^|&)[^=&]*[%+][^=&]*=/

/** One `key=value` of a raw query string, as logged. Parsed by hand: URLSearchParams costs µs per line. */
function maskQueryPart(part: string): string {
  const equals = part.indexOf('=')
  if (equals === -1) return part
  const rawKey = part.slice(0, equals)
  const key = rawKey.includes('%') || rawKey.includes('+') ? safeDecode(rawKey) : rawKey
  if (SENSITIVE_QUERY.has(key.toLowerCase())) return `${rawKey}=${REDACTED_QUERY_VALUE}`
  const rawValue = part.slice(equals + 1)
  if (!MAYBE_PERSONAL_ENCODED.test(rawValue)) return part
  const value = safeDecode(rawValue)
  const masked = maskPersonalData(value)
  return masked === value ? part : `${rawKey}=${encodeURIComponent(masked)}`
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '))
  } catch {
    return raw
  }
}

/** The URL as logged: personal data masked in path and query, sensitive query values redacted. */
export function maskUrl(url: string): string {
  const question = url.indexOf('?')
  if (question === -1) return maskPersonalData(url)
  const path = maskPersonalData(url.slice(0, question))
  const query = url.slice(question + 1)
  // Most query strings hold nothing to mask: one scan to tell, before any splitting.
  if (!SENSITIVE_QUERY_KEY.test(query) && !MAYBE_PERSONAL_ENCODED.test(query) && !ENCODED_QUERY_KEY.test(query)) return `${path}?${query}`
  return `${path}?${query.split('&').map(maskQueryPart).join('&')}`
}

/** Error fields safe to log; a database error's `params`, `query`, `detail`, `where` never are. */
const SAFE_ERROR_FIELDS = ['code', 'statusCode', 'status', 'severity', 'routine', 'constraint', 'table', 'column', 'schema', 'dataType', 'errno', 'syscall'] as const
const MAX_CAUSE_DEPTH = 3

export interface SerializedError {
  type: string
  message: string
  stack?: string
  cause?: SerializedError
  [field: string]: unknown
}

/**
 * Errors as logged: an allow-list of fields, personal data masked in the message, and the stack
 * only for server faults (an error without a 4xx status): a client's mistake needs no stack.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (typeof error !== 'object' || error === null) return { type: typeof error, message: maskPersonalData(String(error)) }
  const source = error as Record<string, unknown>
  const serialized: SerializedError = {
    type: typeof source.name === 'string' ? source.name : (error.constructor?.name ?? 'Object'),
    message: maskPersonalData(typeof source.message === 'string' ? source.message : ''),
  }
  for (const field of SAFE_ERROR_FIELDS) {
    const value = source[field]
    if (typeof value === 'number' || (typeof value === 'string' && value.length <= 200)) serialized[field] = typeof value === 'string' ? maskPersonalData(value) : value
  }
  const status = typeof source.statusCode === 'number' ? source.statusCode : typeof source.status === 'number' ? source.status : 500
  if (status >= 500 && typeof source.stack === 'string') serialized.stack = maskPersonalData(source.stack)
  if (source.cause !== undefined && depth < MAX_CAUSE_DEPTH) serialized.cause = serializeError(source.cause, depth + 1)
  return serialized
}

export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: { err: serializeError, error: serializeError },
    base: { service: SERVICE_NAME },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination)
}
