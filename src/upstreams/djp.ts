import { Type } from 'typebox'
import { AppError } from '../errors/app-error.ts'
import type { UpstreamClient } from './http-client.ts'
import { normaliseIdentifier } from './identifiers.ts'
import { responseReader, UpstreamTimestamp } from './response-schema.ts'
import { TtlCache } from './ttl-cache.ts'
import { gatewayRequestRejected, unexpectedStatus, upstreamErrorCode } from './upstream-errors.ts'
import type { UpstreamCallContext } from './types.ts'

/** DJP KSWP confirmation (`GET /kswp/v1/taxpayers/{npwp}` → 200). Unknown fields are tolerated and dropped. */
export const DjpTaxpayerSchema = Type.Object({
  npwp: Type.String(),
  status: Type.Union([Type.Literal('VALID'), Type.Literal('INVALID')]),
  taxpayerName: Type.String(),
  reason: Type.Optional(Type.String()),
  confirmedAt: UpstreamTimestamp(),
})

export type TaxpayerStatus = 'VALID' | 'INVALID' | 'NOT_FOUND'

export interface TaxpayerConfirmation {
  /** `INVALID`: DJP knows the NPWP but it is not in good standing (`reason` says why). */
  status: TaxpayerStatus
  taxpayerName?: string
  reason?: string
  confirmedAt?: string
}

export interface DjpAdapterOptions {
  /** How long a VALID/INVALID answer is served from memory (default 60 s; 0 disables). */
  cacheTtlMs?: number
  /** Default 1000 entries. */
  cacheMaxEntries?: number
}

export interface DjpAdapter {
  /**
   * The KSWP status of an NPWP (15 or 16 digits). `NOT_FOUND` is not cached, so a newly registered
   * taxpayer is seen at once. Throws like the OSS adapter.
   */
  confirmTaxpayer(npwp: string, ctx?: UpstreamCallContext): Promise<TaxpayerConfirmation>
  /** The cached confirmation, without calling DJP (see OssAdapter.cached). */
  cached(npwp: string): TaxpayerConfirmation | undefined
  invalidate(npwp?: string): void
}

export const DJP_CACHE_DEFAULTS = { ttlMs: 60_000, maxEntries: 1000 } as const

/** The 16-digit NPWP of a person or company is the 15-digit one with a leading zero. */
function sameNpwp(a: string, b: string): boolean {
  return a === b || `0${a}` === b || a === `0${b}`
}

export function createDjpAdapter(client: UpstreamClient, options: DjpAdapterOptions = {}): DjpAdapter {
  const reader = responseReader('djp', 'taxpayer confirmation', DjpTaxpayerSchema)
  const cache = new TtlCache<TaxpayerConfirmation>({
    ttlMs: options.cacheTtlMs ?? DJP_CACHE_DEFAULTS.ttlMs,
    maxEntries: options.cacheMaxEntries ?? DJP_CACHE_DEFAULTS.maxEntries,
  })

  // Concurrent confirmations of one NPWP (a burst of submissions by one organisation) share one call.
  const inFlight = new Map<string, Promise<TaxpayerConfirmation>>()

  async function confirm(npwp: string, ctx: UpstreamCallContext | undefined): Promise<TaxpayerConfirmation> {
    const response = await client.request({ method: 'GET', path: `/kswp/v1/taxpayers/${encodeURIComponent(npwp)}`, ctx })
    switch (response.status) {
      case 200: {
        const taxpayer = reader.read(response.body)
        if (!sameNpwp(taxpayer.npwp, npwp)) {
          throw new AppError('UPSTREAM_BAD_RESPONSE', { detail: 'DJP KSWP answered with the status of a different NPWP' })
        }
        const confirmation: TaxpayerConfirmation = {
          status: taxpayer.status,
          taxpayerName: taxpayer.taxpayerName,
          confirmedAt: taxpayer.confirmedAt,
          ...(taxpayer.reason === undefined ? {} : { reason: taxpayer.reason }),
        }
        cache.set(npwp, confirmation)
        return confirmation
      }
      case 404:
        if (upstreamErrorCode(response) === 'NPWP_NOT_FOUND') return { status: 'NOT_FOUND' }
        throw unexpectedStatus('djp', 'a taxpayer confirmation', response)
      case 400:
        throw gatewayRequestRejected('djp', 'a taxpayer confirmation', response)
      default:
        throw unexpectedStatus('djp', 'a taxpayer confirmation', response)
    }
  }

  return {
    async confirmTaxpayer(rawNpwp, ctx) {
      const npwp = normaliseIdentifier(rawNpwp)
      const cached = cache.get(npwp)
      if (cached !== undefined) return { ...cached }
      let pending = inFlight.get(npwp)
      if (!pending) {
        pending = confirm(npwp, ctx).finally(() => inFlight.delete(npwp))
        inFlight.set(npwp, pending)
      }
      return { ...(await pending) }
    },
    cached(rawNpwp) {
      const cached = cache.get(normaliseIdentifier(rawNpwp))
      return cached === undefined ? undefined : { ...cached }
    },
    invalidate(npwp) {
      if (npwp === undefined) cache.clear()
      else cache.delete(normaliseIdentifier(npwp))
    },
  }
}
