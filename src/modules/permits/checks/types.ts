/**
 * The permit check pipeline: small named steps in a fixed order (shape → OSS → DJP KSWP →
 * business rules), each returning a recorded result, as registration's pipeline does. Steps read
 * what earlier ones learnt from the shared context; none throws for a business reason, only for
 * an upstream outage (the pipeline turns that into 503 + Retry-After, and nothing is stored).
 */
import type { CheckFieldError, CheckResult } from '../../../db/tables/registration.ts'
import type { PostalAddress } from '../../../db/tables/registration.ts'
import type { OssBusiness } from '../../../upstreams/oss.ts'
import type { Upstreams } from '../../../upstreams/index.ts'
import type { UpstreamCallContext } from '../../../upstreams/types.ts'
import type { PermitType } from '../../permit-types/catalogue.ts'
import type { PermitSubmission } from '../schemas.ts'

export type { CheckFieldError, CheckResult }

/** What the pipeline needs of the permit-type registry (app.permitTypes satisfies it). */
export interface PermitTypeSource {
  get(code: string): PermitType | undefined
  /** Problems of the payload against the type's JSON Schema; pointers from the body root (`/payload/lines/0/hsCode`). */
  validatePayload(code: string, payload: unknown): { pointer: string; detail: { en: string; id: string }; reason: string }[]
}

/** The submitting organisation as the gateway holds it (synced from OSS): single submission. */
export interface SubmittingOrganisation {
  id: string
  nib: string | null
  npwp: string | null
  name: string
  address: PostalAddress | null
}

/** Organisations the checks look up (cached briefly by the service: ../organisations.ts). */
export interface OrganisationLookup {
  /** The id of the organisation with this NIB, when the gateway knows one. */
  idByNib(nib: string): Promise<string | undefined>
}

export interface PermitCheckContext {
  submission: PermitSubmission
  organisation: SubmittingOrganisation
  types: PermitTypeSource
  organisations: OrganisationLookup
  upstreams: Upstreams
  upstreamContext?: UpstreamCallContext
  /**
   * Called before a look-up the adapters' caches cannot answer (a call to OSS or DJP): a
   * submission with an Idempotency-Key claims the key there, so a retry sent while the call is
   * slow is 409 in flight rather than a second pipeline. Steps ask the adapter's cache first.
   */
  beforeUpstreamCall?: () => Promise<void>
  now: Date
  /** Set by the shape step when the type is known. */
  type?: PermitType
  /** Set by the OSS step when OSS knows the NIB. */
  oss?: OssBusiness
  /** Set by the business-rules step: the organisations the surveyor and insurer NIBs name. */
  surveyorOrganisationId?: string | null
  insurerOrganisationId?: string | null
  results: CheckResult[]
  /** When each step ended: the OSS and KSWP steps become events of the journey. */
  endedAt?: Partial<Record<PermitCheck['name'], Date>>
}

export interface PermitCheck {
  name: 'shape' | 'oss' | 'djp_kswp' | 'business_rules'
  run(context: PermitCheckContext): Promise<Omit<CheckResult, 'step'>>
}

/** The adapter's cached answer, else `beforeUpstreamCall` and then the call. */
export async function cachedOrCall<T>(context: PermitCheckContext, cached: T | undefined, call: () => Promise<T>): Promise<T> {
  if (cached !== undefined) return cached
  await context.beforeUpstreamCall?.()
  return call()
}

export const passed = (): Omit<CheckResult, 'step'> => ({ status: 'passed', reason: null, errors: [] })

export const skipped = (en: string, id: string): Omit<CheckResult, 'step'> => ({ status: 'skipped', reason: { en, id }, errors: [] })

export function failed(errors: CheckFieldError[], reason?: { en: string; id: string }): Omit<CheckResult, 'step'> {
  return { status: 'failed', reason: reason ?? errors[0]?.detail ?? null, errors }
}

export function fieldError(pointer: string, reason: string, en: string, id: string): CheckFieldError {
  return { pointer, reason, detail: { en, id } }
}
