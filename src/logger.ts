/**
 * Logger options shared by the server and the app. Secrets and personal data never reach a log:
 * known fields are redacted wherever they appear (two levels deep), and URLs are masked because
 * identifiers and one-time tokens can travel in paths and query strings.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { LogLevel } from './config.ts'

const SENSITIVE_FIELDS = [
  'password', 'newPassword', 'currentPassword', 'secret', 'clientSecret', 'client_secret',
  'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'id_token', 'code_verifier',
  'nik', 'npwp', 'identityNumber', 'otp',
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

const SENSITIVE_QUERY = new Set(SENSITIVE_FIELDS.map((field) => field.toLowerCase()).concat(['code', 'state', 'id_token_hint']))

/** The URL as logged: NIK/NPWP-length digit runs and sensitive query values are masked. */
export function maskUrl(url: string): string {
  const [pathPart = '', query] = url.split('?', 2)
  const maskedPath = pathPart.replace(/\d{15,16}/g, (digits) => `${digits.slice(0, 2)}***${digits.slice(-2)}`)
  if (query === undefined) return maskedPath
  const params = new URLSearchParams(query)
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY.has(key.toLowerCase())) params.set(key, '[Redacted]')
  }
  return `${maskedPath}?${params.toString()}`
}

export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    base: { service: 'insw-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(loggerOptions(level), destination)
}
