import { Type, type Static } from 'typebox'
import { AppError } from '../errors/app-error.ts'
import type { UpstreamClient } from './http-client.ts'
import { normaliseIdentifier } from './identifiers.ts'
import { responseReader, UpstreamTimestamp } from './response-schema.ts'
import { TtlCache } from './ttl-cache.ts'
import { gatewayRequestRejected, unexpectedStatus, upstreamErrorCode } from './upstream-errors.ts'
import type { UpstreamCallContext } from './types.ts'

/** OSS business profile (`GET /oss/v1/businesses/{nib}` → 200). Unknown fields are tolerated and dropped. */
export const OssBusinessSchema = Type.Object({
  nib: Type.String(),
  name: Type.String(),
  legalForm: Type.String(),
  /** `null` when OSS holds no NPWP for the business. */
  npwp: Type.Union([Type.String(), Type.Null()]),
  /** `IMPORTER`, `EXPORTER`, …: kept open so a new OSS business type does not break look-ups. */
  businessTypes: Type.Array(Type.String()),
  address: Type.Object({
    street: Type.String(),
    city: Type.String(),
    province: Type.String(),
    postalCode: Type.String(),
  }),
  kbli: Type.Array(Type.Object({ code: Type.String(), title: Type.String() })),
  personsInCharge: Type.Array(Type.Object({ name: Type.String(), nik: Type.String(), position: Type.String() })),
  lastChangedAt: UpstreamTimestamp(),
})

export type OssBusiness = Static<typeof OssBusinessSchema>

export type OssLookupResult = { found: true; business: OssBusiness } | { found: false }

export interface OssAdapterOptions {
  /** How long a found business is served from memory (default 60 s; 0 disables). */
  cacheTtlMs?: number
  /** Default 1000 entries. */
  cacheMaxEntries?: number
}

export interface OssAdapter {
  /**
   * The OSS profile of a business, by NIB. `{ found: false }` on OSS's `NIB_NOT_FOUND`.
   * Throws `AppError`: the client's upstream errors, `UPSTREAM_BAD_RESPONSE` for a body that breaks
   * the contract, `INTERNAL_ERROR` when OSS refuses the NIB the gateway sent as malformed.
   */
  getBusiness(nib: string, ctx?: UpstreamCallContext): Promise<OssLookupResult>
  /**
   * The cached profile, without calling OSS: a caller that must do something before a slow call
   * (the submission claims its Idempotency-Key) asks this first and calls `getBusiness` on a miss.
   */
  cached(nib: string): OssLookupResult | undefined
  /** Forgets cached profiles (one NIB, or all). */
  invalidate(nib?: string): void
}

export const OSS_CACHE_DEFAULTS = { ttlMs: 60_000, maxEntries: 1000 } as const

export function createOssAdapter(client: UpstreamClient, options: OssAdapterOptions = {}): OssAdapter {
  const reader = responseReader('oss', 'business profile', OssBusinessSchema)
  const cache = new TtlCache<OssBusiness>({
    ttlMs: options.cacheTtlMs ?? OSS_CACHE_DEFAULTS.ttlMs,
    maxEntries: options.cacheMaxEntries ?? OSS_CACHE_DEFAULTS.maxEntries,
  })

  // Concurrent look-ups of one NIB (a burst of submissions by one organisation) share one call.
  const inFlight = new Map<string, Promise<OssLookupResult>>()

  async function lookUp(nib: string, ctx: UpstreamCallContext | undefined): Promise<OssLookupResult> {
    const response = await client.request({ method: 'GET', path: `/oss/v1/businesses/${encodeURIComponent(nib)}`, ctx })
    switch (response.status) {
      case 200: {
        const business = reader.read(response.body)
        if (business.nib !== nib) {
          throw new AppError('UPSTREAM_BAD_RESPONSE', { detail: 'OSS answered a business look-up with the profile of a different NIB' })
        }
        cache.set(nib, business)
        return { found: true, business }
      }
      case 404:
        // A 404 without OSS's error code is a wrong route or base URL, not an unknown NIB.
        if (upstreamErrorCode(response) === 'NIB_NOT_FOUND') return { found: false }
        throw unexpectedStatus('oss', 'a business look-up', response)
      case 400:
        throw gatewayRequestRejected('oss', 'a business look-up', response)
      default:
        throw unexpectedStatus('oss', 'a business look-up', response)
    }
  }

  return {
    async getBusiness(rawNib, ctx) {
      const nib = normaliseIdentifier(rawNib)
      const cached = cache.get(nib)
      if (cached !== undefined) return { found: true, business: structuredClone(cached) }
      let pending = inFlight.get(nib)
      if (!pending) {
        pending = lookUp(nib, ctx).finally(() => inFlight.delete(nib))
        inFlight.set(nib, pending)
      }
      const result = await pending
      return result.found ? { found: true, business: structuredClone(result.business) } : { found: false }
    },
    cached(rawNib) {
      const cached = cache.get(normaliseIdentifier(rawNib))
      return cached === undefined ? undefined : { found: true, business: structuredClone(cached) }
    },
    invalidate(nib) {
      if (nib === undefined) cache.clear()
      else cache.delete(normaliseIdentifier(nib))
    },
  }
}
