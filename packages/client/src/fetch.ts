/**
 * The fetch the typed client sends every request through:
 * - a bearer token from the TokenSource (one retry with a new token after a 401);
 * - an `Idempotency-Key` on the operations that take one (submissions and reports) when the
 *   caller gave none, the same key on every retry, so a retried submission is never filed twice;
 * - retries of what is safe to retry (idempotent methods, a request carrying a key, a push with its
 *   own natural key) after a
 *   network error, `429`, `502`, `503`, `504`, or a `409` with `Retry-After` (the same key still
 *   in flight): waiting what `Retry-After` says, else an exponential back-off with jitter.
 */
import type { TokenSource } from './token.ts'

/** The operations whose contract declares an `Idempotency-Key` header (a test keeps this in step with the contract). */
export const IDEMPOTENT_POSTS = [/^\/v1\/permits$/, /^\/v1\/permits\/[^/]+\/realisation-reports$/, /^\/v1\/permits\/[^/]+\/realisation-reports\/[^/]+\/versions$/]

/** POSTs the contract says are safe to repeat without a key: `shipmentReference` identifies the push. */
export const NATURALLY_IDEMPOTENT_POSTS = [/^\/v1\/surveyor-reports$/, /^\/v1\/insurance-declarations$/]

const RETRIED_STATUSES = new Set([429, 502, 503, 504])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  attempts?: number
  /** The first back-off when no Retry-After is given (default 500 ms; doubled each time, with jitter). */
  baseDelayMs?: number
  /** The longest wait, Retry-After included (default 30 s): a longer one is given back to the caller. */
  maxDelayMs?: number
}

export interface GatewayFetchOptions {
  tokens?: TokenSource
  retry?: RetryOptions
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
  newKey?: () => string
}

export function gatewayFetch(options: GatewayFetchOptions): (input: Request) => Promise<Response> {
  const send = options.fetch ?? fetch
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const attempts = Math.max(1, options.retry?.attempts ?? 4)
  const baseDelayMs = options.retry?.baseDelayMs ?? 500
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000

  return async (original: Request) => {
    const request = original.clone()
    const path = new URL(request.url).pathname
    if (request.method === 'POST' && !request.headers.has('idempotency-key') && IDEMPOTENT_POSTS.some((pattern) => pattern.test(path))) {
      request.headers.set('idempotency-key', options.newKey ? options.newKey() : crypto.randomUUID())
    }
    const retriable = SAFE_METHODS.has(request.method) || request.headers.has('idempotency-key') || NATURALLY_IDEMPOTENT_POSTS.some((pattern) => pattern.test(path))
    // The body is read once, so every attempt (and the retry after a 401) can send it again.
    const body = request.body === null ? undefined : await request.arrayBuffer()
    let renewedToken = false
    for (let attempt = 1; ; attempt++) {
      const headers = new Headers(request.headers)
      let token: string | undefined
      if (options.tokens && !headers.has('authorization')) {
        token = await options.tokens.token()
        headers.set('authorization', `Bearer ${token}`)
      }
      let response: Response
      try {
        response = await send(new Request(request.url, { method: request.method, headers, body, signal: request.signal }))
      } catch (error) {
        if (!retriable || attempt >= attempts || request.signal.aborted) throw error
        await sleep(backoff(attempt, baseDelayMs, maxDelayMs))
        continue
      }
      if (response.status === 401 && token && !renewedToken) {
        // A token the gateway no longer takes (revoked, signed by a retired key): one more try with a new one.
        options.tokens!.invalidate(token)
        renewedToken = true
        attempt--
        await response.body?.cancel()
        continue
      }
      const retryAfterMs = retryAfter(response)
      const again = RETRIED_STATUSES.has(response.status) || (response.status === 409 && retryAfterMs !== undefined)
      if (!again || !retriable || attempt >= attempts) return response
      const wait = retryAfterMs ?? backoff(attempt, baseDelayMs, maxDelayMs)
      if (wait > maxDelayMs) return response
      await response.body?.cancel()
      await sleep(wait)
    }
  }
}

/** Retry-After in milliseconds (seconds or an HTTP date), undefined when absent or unreadable. */
function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('retry-after')
  if (value === null) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function backoff(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))
  // Full jitter: clients retrying after one outage spread out instead of returning together.
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
}
