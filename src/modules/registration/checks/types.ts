/**
 * The registration check pipeline: small named steps run in an explicit order, each returning a
 * recorded result. Steps read what earlier ones learnt (the OSS profile, the KSWP answer) from the
 * shared context; none throws for a business reason, only for an upstream outage.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../../db/schema.ts'
import type { CheckFieldError, CheckResult } from '../../../db/tables/registration.ts'
import type { OssBusiness } from '../../../upstreams/oss.ts'
import type { TaxpayerConfirmation } from '../../../upstreams/djp.ts'
import type { Upstreams } from '../../../upstreams/index.ts'
import type { UpstreamCallContext } from '../../../upstreams/types.ts'
import type { RegistrationForm } from '../schemas.ts'

export type { CheckFieldError, CheckResult }

/** The form with identifiers reduced to digits and the mobile number to +62…. */
export interface NormalisedForm {
  nib: string | null
  npwp: string | null
  identityNumber: string
  mobile: string
  email: string
}

export interface UploadedDocument {
  content: Buffer
  sha256: string
  fileName: string | null
}

export interface CheckContext {
  form: RegistrationForm
  normalised: NormalisedForm
  upload?: UploadedDocument
  db: Kysely<Database>
  upstreams: Upstreams
  upstreamContext?: UpstreamCallContext
  /** Filled by the OSS step when OSS knows the NIB. */
  oss?: OssBusiness
  /** Filled by the DJP step when KSWP answered. */
  djp?: TaxpayerConfirmation
  /** Results so far, in order. */
  results: CheckResult[]
}

export interface Check {
  name: string
  run(context: CheckContext): Promise<Omit<CheckResult, 'step'>>
}

export const passed = (): Omit<CheckResult, 'step'> => ({ status: 'passed', reason: null, errors: [] })

export const skipped = (en: string, id: string): Omit<CheckResult, 'step'> => ({ status: 'skipped', reason: { en, id }, errors: [] })

export function failed(errors: CheckFieldError[], reason?: { en: string; id: string }): Omit<CheckResult, 'step'> {
  return { status: 'failed', reason: reason ?? errors[0]?.detail ?? null, errors }
}

export function fieldError(pointer: string, reason: string, en: string, id: string): CheckFieldError {
  return { pointer, reason, detail: { en, id } }
}

export function resultOf(context: CheckContext, step: string): CheckResult | undefined {
  return context.results.find((result) => result.step === step)
}
