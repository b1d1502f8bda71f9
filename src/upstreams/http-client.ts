import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, type Dispatcher } from 'undici'
import { AppError } from '../errors/app-error.ts'
import { CircuitBreaker, type AttemptOutcome, type BreakerOptions, type BreakerState } from './circuit-breaker.ts'
import { maskPath } from './log-safe.ts'
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, type RetryOptions } from './retry.ts'
import { childTraceparent, parseTraceparent } from './traceparent.ts'
import { classifyTransportError, upstreamLabels } from './upstream-errors.ts'
import type { UpstreamCallContext, UpstreamLogger, UpstreamName, UpstreamResponse } from './types.ts'

export type { BreakerOptions, BreakerState } from './circuit-breaker.ts'
export type { RetryOptions } from './retry.ts'

export interface UpstreamClientOptions {
  name: UpstreamName
  /** Origin plus an optional path prefix, e.g. `http://127.0.0.1:4010` or `https://host/api`. */
  baseUrl: string
  /** Replaces the client's own Agent (tests pass a MockAgent). The client does not close it. */
  dispatcher?: Dispatcher
  connectTimeoutMs: number
  /** Deadline of one attempt, from sending the request to the end of the response body. */
  requestTimeoutMs: number
  retry: RetryOptions
  breaker: BreakerOptions
  /** Larger response bodies are refused as `UPSTREAM_BAD_RESPONSE` (default 1 MiB). */
  maxResponseBytes?: number
  logger?: UpstreamLogger
  /** Jitter source; tests may pin it. */
  random?: () => number
}

export type UpstreamMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface UpstreamRequest {
  method: UpstreamMethod
  /** Path below `baseUrl`, starting with `/`, identifiers already URI-encoded. */
  path: string
  /** Serialised as JSON. */
  body?: unknown
  /** Makes a non-GET call retryable: the upstream deduplicates on it. */
  idempotencyKey?: string
  headers?: Record<string, string>
  ctx?: UpstreamCallContext
}

export interface UpstreamClient {
  readonly name: UpstreamName
  /**
   * One logical call, with retries when it is safe. Resolves with any status the upstream meant
   * (2xx, and 4xx other than 429, for the adapter to interpret). Rejects with `AppError`:
   * `UPSTREAM_UNAVAILABLE` (circuit open, connection refused/reset, 5xx or 429 after the last
   * attempt), `UPSTREAM_TIMEOUT` (the last attempt ran out of time), `UPSTREAM_BAD_RESPONSE`
   * (body not JSON or too large). A caller's own `ctx.signal` abort rejects with its reason.
   */
  request(request: UpstreamRequest): Promise<UpstreamResponse>
  breakerState(): BreakerState
  /** Closes the client's own Agent; an injected dispatcher belongs to whoever injected it. */
  close(): Promise<void>
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
/** A 504 tells the caller when to try again, as the contract promises (the upstream gave no hint). */
export const TIMEOUT_RETRY_AFTER_SECONDS = 5
const IDEMPOTENT_METHODS = new Set<UpstreamMethod>(['GET', 'HEAD', 'PUT', 'DELETE'])

type AttemptResult =
  | { kind: 'response'; response: UpstreamResponse }
  | { kind: 'failed'; error: AppError; retryable: boolean; breaker: AttemptOutcome; retryAfterMs?: number }
  | { kind: 'cancelled'; reason: unknown }

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  assertValidOptions(options)
  const { name, logger } = options
  // The "call completed" line (one per call: thousands a second while a backlog drains) holds
  // only fields assembled below (names, a masked path, numbers, ids): it skips the logger's
  // wildcard redaction, which costs several times the rest of the line. Failures keep it.
  const completedLog = logger?.child?.({}, { redact: [] }) ?? logger
  const label = upstreamLabels[name]
  const base = new URL(options.baseUrl)
  const origin = base.origin
  const prefix = base.pathname.replace(/\/+$/, '')
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const random = options.random ?? Math.random
  const retry = options.retry
  const maxRetryAfterMs = retry.maxRetryAfterMs ?? retry.maxDelayMs

  const ownAgent =
    options.dispatcher === undefined
      ? new Agent({
          connect: { timeout: options.connectTimeoutMs },
          headersTimeout: options.requestTimeoutMs,
          bodyTimeout: options.requestTimeoutMs,
        })
      : undefined
  const dispatcher: Dispatcher = options.dispatcher ?? (ownAgent as Agent)

  const breaker = new CircuitBreaker({
    ...options.breaker,
    onStateChange: (from, to) => logger?.warn({ upstream: name, from, to }, `${label} circuit ${to}`),
  })

  async function attempt(request: UpstreamRequest, path: string, headers: Record<string, string>, body: string | undefined): Promise<AttemptResult> {
    const callerSignal = request.ctx?.signal
    const deadline = AbortSignal.timeout(options.requestTimeoutMs)
    const signal = callerSignal === undefined ? deadline : AbortSignal.any([deadline, callerSignal])
    let status: number | undefined
    try {
      const res = await dispatcher.request({
        origin,
        path,
        method: request.method,
        headers,
        body,
        signal,
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
      })
      status = res.statusCode
      const responseHeaders = flattenHeaders(res.headers)

      if (isRetryableStatus(status) || status >= 500) {
        await res.body.dump().catch(() => undefined)
        const retryAfterMs = parseRetryAfterMs(responseHeaders['retry-after'])
        return {
          kind: 'failed',
          error: new AppError('UPSTREAM_UNAVAILABLE', {
            detail: `${label} answered ${status}`,
            retryAfter: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
          }),
          retryable: isRetryableStatus(status),
          breaker: 'failure',
          retryAfterMs,
        }
      }

      const text = await readCapped(res.body, maxResponseBytes, responseHeaders['content-length'])
      if (text === undefined) {
        return { kind: 'failed', error: badResponse(`${label} sent a response body larger than ${maxResponseBytes} bytes`), retryable: false, breaker: 'failure' }
      }
      let parsed: unknown = null
      if (text.trim() !== '') {
        try {
          parsed = JSON.parse(text)
        } catch (error) {
          return { kind: 'failed', error: badResponse(`${label} sent a body that is not JSON (status ${status})`, error), retryable: false, breaker: 'failure' }
        }
      }
      return { kind: 'response', response: { status, headers: responseHeaders, body: parsed } }
    } catch (error) {
      if (callerSignal?.aborted === true) return { kind: 'cancelled', reason: callerSignal.reason }
      if (deadline.aborted) {
        return { kind: 'failed', error: new AppError('UPSTREAM_TIMEOUT', { detail: `${label} did not answer within ${options.requestTimeoutMs} ms`, retryAfter: TIMEOUT_RETRY_AFTER_SECONDS, cause: error }), retryable: true, breaker: 'failure' }
      }
      const { kind, code } = classifyTransportError(error)
      const during = status === undefined ? '' : ` while reading a ${status} response`
      switch (kind) {
        case 'timeout':
          return { kind: 'failed', error: new AppError('UPSTREAM_TIMEOUT', { detail: `${label} timed out${during} (${code})`, retryAfter: TIMEOUT_RETRY_AFTER_SECONDS, cause: error }), retryable: true, breaker: 'failure' }
        case 'network':
          return { kind: 'failed', error: new AppError('UPSTREAM_UNAVAILABLE', { detail: `${label} connection failed${during} (${code})`, cause: error }), retryable: true, breaker: 'failure' }
        case 'caller-bug':
          return { kind: 'failed', error: new AppError('INTERNAL_ERROR', { detail: `The gateway built an invalid request for ${label} (${code})`, cause: error }), retryable: false, breaker: 'neutral' }
        default:
          return { kind: 'failed', error: new AppError('UPSTREAM_UNAVAILABLE', { detail: `${label} call failed${during} (${code ?? 'unknown error'})`, cause: error }), retryable: false, breaker: 'failure' }
      }
    }
  }

  async function request(request: UpstreamRequest): Promise<UpstreamResponse> {
    const ctx = request.ctx ?? {}
    const path = `${prefix}${request.path}`
    const loggedPath = maskPath(path)
    const parentTrace = parseTraceparent(ctx.traceparent)
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const idempotent = IDEMPOTENT_METHODS.has(request.method) || (request.idempotencyKey !== undefined && request.idempotencyKey !== '')
    const maxAttempts = idempotent ? Math.max(1, Math.floor(retry.attempts)) : 1

    let lastError: AppError | undefined
    for (let attemptNumber = 1; attemptNumber <= maxAttempts; attemptNumber++) {
      ctx.signal?.throwIfAborted()
      const decision = breaker.tryAcquire()
      if (!decision.allowed) {
        logger?.debug({ upstream: name, method: request.method, path: loggedPath, attempt: attemptNumber }, `${label} circuit open, failing fast`)
        throw new AppError('UPSTREAM_UNAVAILABLE', {
          detail: `${label} circuit is open after repeated failures; not calling it${lastError === undefined ? '' : ` (last failure: ${lastError.detail ?? lastError.code})`}`,
          retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
          cause: lastError,
        })
      }

      const traceparent = childTraceparent(parentTrace)
      const headers = buildHeaders(request, ctx, traceparent, parentTrace !== undefined, body !== undefined)
      const started = performance.now()
      const result = await attempt(request, path, headers, body)
      const durationMs = Math.round(performance.now() - started)
      const logFields = {
        upstream: name,
        method: request.method,
        path: loggedPath,
        attempt: attemptNumber,
        durationMs,
        traceId: traceparent.slice(3, 35),
        requestId: ctx.requestId,
      }

      if (result.kind === 'cancelled') {
        breaker.record(decision.permit, 'neutral')
        logger?.debug(logFields, `${label} call cancelled by the caller`)
        throw result.reason
      }
      if (result.kind === 'response') {
        breaker.record(decision.permit, 'success')
        completedLog?.info({ ...logFields, status: result.response.status }, `${label} call completed`)
        return result.response
      }

      breaker.record(decision.permit, result.breaker)
      lastError = result.error
      const willRetry = result.retryable && attemptNumber < maxAttempts
      logger?.warn(
        { ...logFields, errorCode: result.error.code, reason: result.error.detail, willRetry, idempotent },
        `${label} call failed`,
      )
      if (!willRetry) throw result.error

      let delayMs: number
      if (result.retryAfterMs !== undefined) {
        // Waiting less than the upstream asked would not be honouring it: hand the wait to the caller.
        if (result.retryAfterMs > maxRetryAfterMs) throw result.error
        delayMs = result.retryAfterMs
      } else {
        delayMs = backoffDelayMs(attemptNumber, retry, random)
      }
      if (delayMs > 0) {
        try {
          await sleep(delayMs, undefined, { signal: ctx.signal })
        } catch (error) {
          throw ctx.signal?.aborted === true ? ctx.signal.reason : error
        }
      }
    }
    // Unreachable: the loop either returns or throws on its last attempt.
    throw lastError ?? new AppError('UPSTREAM_UNAVAILABLE', { detail: `${label} was not called` })
  }

  return {
    name,
    request,
    breakerState: () => breaker.state(),
    async close() {
      await ownAgent?.close()
    },
  }
}

function buildHeaders(
  request: UpstreamRequest,
  ctx: UpstreamCallContext,
  traceparent: string,
  hasParentTrace: boolean,
  hasBody: boolean,
): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, accept: 'application/json', traceparent }
  if (hasBody) headers['content-type'] = 'application/json'
  if (hasParentTrace && isForwardable(ctx.tracestate, 512)) headers.tracestate = ctx.tracestate
  if (isForwardable(ctx.requestId, 200)) headers['x-request-id'] = ctx.requestId
  if (request.idempotencyKey !== undefined && request.idempotencyKey !== '') headers['idempotency-key'] = request.idempotencyKey
  return headers
}

/**
 * Request ids and tracestate usually come from the incoming request: forward them only when they
 * are plain visible ASCII of a sane length, so a hostile header cannot make our call invalid.
 */
function isForwardable(value: string | undefined, maxLength: number): value is string {
  return value !== undefined && value.length > 0 && value.length <= maxLength && /^[\x20-\x7e]+$/.test(value)
}

function assertValidOptions(options: UpstreamClientOptions): void {
  const positive = {
    connectTimeoutMs: options.connectTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    'retry.attempts': options.retry.attempts,
  }
  for (const [key, value] of Object.entries(positive)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${options.name} upstream client: ${key} must be a positive number`)
  }
  for (const [key, value] of Object.entries({ 'retry.baseDelayMs': options.retry.baseDelayMs, 'retry.maxDelayMs': options.retry.maxDelayMs })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${options.name} upstream client: ${key} must not be negative`)
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue
    flat[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}

/** The body as text, or `undefined` when it exceeds `limit` (the rest is not read). */
async function readCapped(body: AsyncIterable<Buffer | string> & { destroy(error?: Error): unknown }, limit: number, contentLength: string | undefined): Promise<string | undefined> {
  if (contentLength !== undefined && Number(contentLength) > limit) {
    body.destroy()
    return undefined
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buffer.length
    if (size > limit) {
      body.destroy()
      return undefined
    }
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function badResponse(detail: string, cause?: unknown): AppError {
  return new AppError('UPSTREAM_BAD_RESPONSE', { detail, cause })
}
