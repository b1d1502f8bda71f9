import type { Dispatcher } from 'undici'
import type { BreakerOptions, BreakerState } from './circuit-breaker.ts'
import { createDjpAdapter, type DjpAdapter } from './djp.ts'
import { createUpstreamClient, type UpstreamClient } from './http-client.ts'
import { createInatradeAdapter, type InatradeAdapter } from './inatrade.ts'
import { createOssAdapter, type OssAdapter } from './oss.ts'
import type { UpstreamLogger, UpstreamName } from './types.ts'

export type { BreakerOptions, BreakerState } from './circuit-breaker.ts'
export type { RetryOptions } from './retry.ts'
export type { UpstreamCallContext, UpstreamLogger, UpstreamName, UpstreamResponse } from './types.ts'
export { createUpstreamClient } from './http-client.ts'
export type { UpstreamClient, UpstreamClientOptions, UpstreamMethod, UpstreamRequest } from './http-client.ts'
export { createOssAdapter } from './oss.ts'
export type { OssAdapter, OssAdapterOptions, OssBusiness, OssLookupResult } from './oss.ts'
export { createDjpAdapter } from './djp.ts'
export type { DjpAdapter, DjpAdapterOptions, TaxpayerConfirmation, TaxpayerStatus } from './djp.ts'
export { createInatradeAdapter, InatradeCallbackEventSchema, signCallbackBody, verifyCallbackSignature } from './inatrade.ts'
export type {
  IdempotentCallContext,
  InatradeAdapter,
  InatradeApplication,
  InatradeApplicationInput,
  InatradeApplicationLookup,
  InatradeApplicationStatus,
  InatradeCancellation,
  InatradeCallbackEvent,
  InatradeLicence,
  InatradeRealisationReportInput,
  InatradeReportReceipt,
  InatradeSubmission,
} from './inatrade.ts'
export { isTransientUpstreamError } from './upstream-errors.ts'

export interface UpstreamsOptions {
  ossUrl: string
  djpUrl: string
  inatradeUrl: string
  /** Shared by all three clients instead of their own Agents (tests: a MockAgent). Not closed by `close()`. */
  dispatcher?: Dispatcher
  logger?: UpstreamLogger
  timeouts?: {
    connectMs?: number
    /** Per attempt, OSS and DJP look-ups (synchronous, on a user's request path). */
    lookupMs?: number
    /** Per attempt, INATRADE calls (made by the job worker). */
    inatradeMs?: number
  }
  retries?: {
    /** Retries after the first attempt, OSS and DJP. */
    lookup?: number
    /** Retries after the first attempt, INATRADE. */
    inatrade?: number
    baseDelayMs?: number
    maxDelayMs?: number
    /** Longest `Retry-After` waited for in-line; longer ones surface as `retryAfter` on the error. */
    maxRetryAfterMs?: number
  }
  breaker?: Partial<BreakerOptions>
  /** Look-up caches of OSS and DJP. */
  cache?: { ttlMs?: number; maxEntries?: number }
  maxResponseBytes?: number
}

export interface Upstreams {
  oss: OssAdapter
  djp: DjpAdapter
  inatrade: InatradeAdapter
  breakerStates(): Record<UpstreamName, BreakerState>
  close(): Promise<void>
}

export const upstreamDefaults = {
  connectMs: 2_000,
  lookupMs: 3_000,
  lookupRetries: 2,
  inatradeMs: 10_000,
  inatradeRetries: 3,
  lookupBackoff: { baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 1_000 },
  inatradeBackoff: { baseDelayMs: 250, maxDelayMs: 5_000, maxRetryAfterMs: 5_000 },
  // Opens at half the attempts of the last minute failing, once there were 20: an outage, not
  // one business's slow record (3 attempts a call) among little traffic.
  breaker: { failureRateThreshold: 0.5, minimumCalls: 20, windowMs: 60_000, resetAfterMs: 30_000 },
} as const

/** The three adapters over one client each (its own breaker), with the project's defaults. */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const d = upstreamDefaults
  const timeouts = options.timeouts ?? {}
  const retries = options.retries ?? {}
  const breaker: BreakerOptions = { ...d.breaker, ...options.breaker }
  const connectTimeoutMs = timeouts.connectMs ?? d.connectMs

  function backoff(defaults: { baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number }) {
    return {
      baseDelayMs: retries.baseDelayMs ?? defaults.baseDelayMs,
      maxDelayMs: retries.maxDelayMs ?? defaults.maxDelayMs,
      maxRetryAfterMs: retries.maxRetryAfterMs ?? defaults.maxRetryAfterMs,
    }
  }

  function client(name: UpstreamName, baseUrl: string, requestTimeoutMs: number, retryCount: number, backoffSettings: Parameters<typeof backoff>[0]): UpstreamClient {
    return createUpstreamClient({
      name,
      baseUrl,
      dispatcher: options.dispatcher,
      logger: options.logger,
      connectTimeoutMs,
      requestTimeoutMs,
      retry: { attempts: 1 + retryCount, ...backoff(backoffSettings) },
      breaker,
      maxResponseBytes: options.maxResponseBytes,
    })
  }

  const lookupTimeoutMs = timeouts.lookupMs ?? d.lookupMs
  const lookupRetries = retries.lookup ?? d.lookupRetries
  const clients = {
    oss: client('oss', options.ossUrl, lookupTimeoutMs, lookupRetries, d.lookupBackoff),
    djp: client('djp', options.djpUrl, lookupTimeoutMs, lookupRetries, d.lookupBackoff),
    inatrade: client('inatrade', options.inatradeUrl, timeouts.inatradeMs ?? d.inatradeMs, retries.inatrade ?? d.inatradeRetries, d.inatradeBackoff),
  }

  const cache = { cacheTtlMs: options.cache?.ttlMs, cacheMaxEntries: options.cache?.maxEntries }
  return {
    oss: createOssAdapter(clients.oss, cache),
    djp: createDjpAdapter(clients.djp, cache),
    inatrade: createInatradeAdapter(clients.inatrade),
    breakerStates: () => ({
      oss: clients.oss.breakerState(),
      djp: clients.djp.breakerState(),
      inatrade: clients.inatrade.breakerState(),
    }),
    async close() {
      await Promise.all([clients.oss.close(), clients.djp.close(), clients.inatrade.close()])
    },
  }
}
