/**
 * What the INATRADE side of a permit's journey (forwarding, cancel, callbacks, reconciliation)
 * needs from the app, as one object: the handlers are plain functions over it, so tests call them
 * directly and jobs.ts builds it once from the Fastify instance.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { JobEngine } from '../../jobs/types.ts'
import type { BreakerState, InatradeAdapter, OssAdapter } from '../../upstreams/index.ts'
import type { FastifyInstance } from 'fastify'
import { createObligations } from '../obligations/create.ts'
import type { LicenceOptions } from './document.ts'

export interface JourneyLogger {
  info(obj: Record<string, unknown>, msg: string): void
  warn(obj: Record<string, unknown>, msg: string): void
  error(obj: Record<string, unknown>, msg: string): void
}

export interface JourneyDeps {
  db: Kysely<Database>
  inatrade: InatradeAdapter
  /** For the person in charge (name, NIK) INATRADE wants, when the gateway holds none. */
  oss: OssAdapter
  /** INATRADE's circuit: while open, jobs wait instead of spending attempts. */
  inatradeBreaker: () => BreakerState
  /** Enqueue in a transaction (the permit.cancel of a permit cancelled while it was on the wire). */
  jobs: Pick<JobEngine, 'send'>
  /** The job engine's "run me again at `until`, this was not an attempt" error (RetryLater). */
  retryLater: (until: Date, reason: string) => Error
  /** The gateway's public URL: INATRADE's callback URL and the licence's verification link. */
  publicUrl: string
  licence: Omit<LicenceOptions, 'publicUrl'>
  /**
   * Forwarding attempts (all jobs of a permit) after which INATRADE's `Retry-After` no longer
   * defers for free: the attempt then counts, so a permanently "busy" INATRADE still ends in the
   * dead letter instead of being waited for forever.
   */
  maxDeferredAttempts: number
  log: JourneyLogger
}

export const FORWARD_QUEUE = 'permit.forward'
export const CANCEL_QUEUE = 'permit.cancel'
export const RECONCILE_QUEUE = 'permit.reconcile'

export interface PermitJobData {
  permitId: string
}

export function callbackUrl(publicUrl: string): string {
  return new URL('/v1/callbacks/inatrade', publicUrl).toString()
}

export function licenceOptions(deps: Pick<JourneyDeps, 'publicUrl' | 'licence'>): LicenceOptions {
  return { ...deps.licence, publicUrl: deps.publicUrl }
}

/**
 * What the licence steps need from the app: the type's display name for the document, and the
 * reporting obligations an issued licence creates (in the issuing transaction).
 */
export function licenceSettings(app: FastifyInstance): Omit<LicenceOptions, 'publicUrl'> {
  return {
    permitTypeName: (code) => app.permitTypes.get(code)?.name.en,
    onIssued: async (trx, permit) => {
      await createObligations(trx, permit, app.permitTypes.get(permit.permit_type))
    },
  }
}
