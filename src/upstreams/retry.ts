export interface RetryOptions {
  /** Total attempts including the first one (so `3` means up to 2 retries). Idempotent calls only. */
  attempts: number
  /** Backoff base: the ceiling of the n-th retry's delay is `baseDelayMs * 2^(n-1)`. */
  baseDelayMs: number
  /** Upper bound of the backoff ceiling. */
  maxDelayMs: number
  /**
   * Longest `Retry-After` the client waits for in-line (default: `maxDelayMs`). A longer one is
   * honoured by not retrying at all: the error carries `retryAfter` so the caller (the job
   * worker, or the client via 503 + `Retry-After`) comes back when the upstream asked.
   */
  maxRetryAfterMs?: number
}

/** Statuses that say "try again later" rather than "your request is wrong". */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffDelayMs(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(retry - 1, 0))
  return Math.floor(random() * ceiling)
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // Only an HTTP date: Date.parse would also read '-1' or '2' as years.
  if (!/^[A-Za-z]{3}, /.test(trimmed)) return undefined
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(at - now, 0)
}
