import { AppError, isAppError } from '../errors/app-error.ts'
import type { UpstreamName, UpstreamResponse } from './types.ts'

/** Display names used in error details and logs. */
export const upstreamLabels: Record<UpstreamName, string> = { oss: 'OSS', djp: 'DJP KSWP', inatrade: 'INATRADE' }

/** Network failures worth another attempt: the connection broke or could not be made. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
])

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/** Errors that mean the gateway built a request undici refuses: our bug, never the upstream's. */
const CALLER_BUG_CODES = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_URL'])

export type TransportErrorKind = 'timeout' | 'network' | 'caller-bug' | 'unknown'

/** Sorts an error thrown by the dispatcher, looking through `cause` chains. */
export function classifyTransportError(error: unknown): { kind: TransportErrorKind; code?: string } {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    const name = (current as { name?: unknown }).name
    if (name === 'TimeoutError') return { kind: 'timeout', code: 'TimeoutError' }
    if (typeof code === 'string') {
      if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', code }
      if (TRANSIENT_NETWORK_CODES.has(code)) return { kind: 'network', code }
      if (CALLER_BUG_CODES.has(code)) return { kind: 'caller-bug', code }
    }
    current = (current as { cause?: unknown }).cause
  }
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return { kind: 'unknown', code: typeof code === 'string' ? code : undefined }
}

/**
 * Whether a failed upstream call is worth repeating later (by the job worker): the upstream was
 * unreachable, slow, or its circuit is open. Conflicts, invalid responses and gateway bugs are not.
 */
export function isTransientUpstreamError(error: unknown): boolean {
  return isAppError(error) && (error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'UPSTREAM_TIMEOUT')
}

/** The upstream's machine-readable error code (`{ error: "NIB_NOT_FOUND" }`), if it sent one. */
export function upstreamErrorCode(response: UpstreamResponse): string | undefined {
  const body = response.body
  if (typeof body !== 'object' || body === null) return undefined
  const code = (body as { error?: unknown }).error
  return typeof code === 'string' && code.length <= 100 ? code : undefined
}

/**
 * The upstream refused what the gateway sent as malformed (400). The input was validated before it
 * got here, so this is a gateway bug, not a client mistake and not an upstream fault. The
 * upstream's `message` is left out on purpose: it may echo identifiers.
 */
export function gatewayRequestRejected(name: UpstreamName, operation: string, response: UpstreamResponse): AppError {
  const code = upstreamErrorCode(response) ?? 'no error code'
  return new AppError('INTERNAL_ERROR', {
    detail: `${upstreamLabels[name]} rejected the request the gateway sent for ${operation} as invalid (${response.status} ${code}). This is a gateway bug: the gateway built a request that breaks the upstream contract.`,
  })
}

/** A status the contract does not allow for this operation. */
export function unexpectedStatus(name: UpstreamName, operation: string, response: UpstreamResponse): AppError {
  const code = upstreamErrorCode(response)
  return new AppError('UPSTREAM_BAD_RESPONSE', {
    detail: `${upstreamLabels[name]} answered ${operation} with unexpected status ${response.status}${code === undefined ? '' : ` (${code})`}`,
  })
}
