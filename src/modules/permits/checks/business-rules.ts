/**
 * Business rules, over whatever shape the type's payload schema gives the commodity lines: every
 * `hsCode` is allowed by the type, every quantity and value is positive, every period is coherent
 * (`…From`/`…Start` not after its `…Until`/`…To`/`…End`, and not already over), a surveyor's NIB is
 * given when the type needs a surveyor's verification, and the surveyor and insurer NIBs name
 * organisations the gateway knows (their clients then read the permit: see the partner view).
 * The payload is walked rather than addressed by fixed paths, so a new permit type with its own
 * layout is checked without code.
 */
import type { PermitType } from '../../permit-types/catalogue.ts'
import { isHsCodeAllowed, normaliseHsCode } from '../../permit-types/registry.ts'
import { failed, fieldError, passed, skipped, type CheckFieldError, type PermitCheck } from './types.ts'

const POSITIVE_FIELDS = new Set(['quantity', 'value', 'amount', 'totalValue', 'netWeight', 'grossWeight', 'unitPrice'])
/** `shipmentPeriod: { from, to }`, `validFrom`/`validUntil`, `periodStart`/`periodEnd`… */
const PERIOD_STARTS = [/^(.*)From$/, /^(.*)Start$/, /^(.*)StartDate$/, /^(from)$/, /^(start)$/]
const PERIOD_ENDS = ['Until', 'To', 'End', 'EndDate']
const BARE_ENDS: Record<string, string[]> = { from: ['to', 'until'], start: ['end'] }
/** More problems than this are not listed (the first ones are enough to fix a submission). */
const MAX_ERRORS = 20

/** `0901.11.10` → `09011110` (the catalogue's normalisation). */
export const hsDigits = normaliseHsCode

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}

interface Visit {
  node: Record<string, unknown>
  pointer: string
}

function* objectsOf(value: unknown, pointer: string): Generator<Visit> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* objectsOf(item, `${pointer}/${index}`)
  } else if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>
    yield { node, pointer }
    for (const [name, child] of Object.entries(node)) if (child && typeof child === 'object') yield* objectsOf(child, `${pointer}/${escapePointer(name)}`)
  }
}

function dayOf(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined
  const time = Date.parse(value.length === 10 ? `${value}T00:00:00+07:00` : value)
  return Number.isNaN(time) ? undefined : time
}

export function payloadRuleErrors(payload: unknown, type: PermitType, now: Date): CheckFieldError[] {
  const errors: CheckFieldError[] = []
  // A period that ended before today (Asia/Jakarta) cannot be applied for.
  const startOfToday = Date.parse(`${new Date(now.getTime() + 7 * 3_600_000).toISOString().slice(0, 10)}T00:00:00+07:00`)
  for (const { node, pointer } of objectsOf(payload, '/payload')) {
    for (const [name, value] of Object.entries(node)) {
      const at = `${pointer}/${escapePointer(name)}`
      if (/^hs(Code)?$/i.test(name) && typeof value === 'string') {
        // The catalogue's own reading of prefixes, so GET /v1/permit-types and the pipeline agree.
        if (!isHsCodeAllowed(type, value)) {
          errors.push(fieldError(at, 'hs_code_not_allowed', `HS ${value} is not covered by this permit type (allowed: ${type.allowedHsPrefixes.join(', ')}…)`, `HS ${value} tidak tercakup jenis izin ini (yang diizinkan: ${type.allowedHsPrefixes.join(', ')}…)`))
        }
      }
      if (POSITIVE_FIELDS.has(name) && typeof value === 'number' && !(value > 0)) {
        errors.push(fieldError(at, 'not_positive', 'must be greater than zero', 'harus lebih besar dari nol'))
      }
      for (const start of PERIOD_STARTS) {
        const stem = start.exec(name)?.[1]
        if (stem === undefined) continue
        const from = dayOf(value)
        const candidates = BARE_ENDS[name] ?? PERIOD_ENDS.map((suffix) => `${stem}${suffix}`)
        const endName = candidates.find((candidate) => candidate in node)
        const until = endName === undefined ? undefined : dayOf(node[endName])
        if (from === undefined || until === undefined || endName === undefined) continue
        const endAt = `${pointer}/${escapePointer(endName)}`
        if (until < from) errors.push(fieldError(endAt, 'period_reversed', `must not be before ${name}`, `tidak boleh sebelum ${name}`))
        else if (until < startOfToday) errors.push(fieldError(endAt, 'period_over', 'the period is already over', 'periode sudah berakhir'))
      }
    }
    if (errors.length >= MAX_ERRORS) break
  }
  return errors.slice(0, MAX_ERRORS)
}

/** Some types carry the surveyor in their payload too; the envelope's `surveyorNib` wins. */
export function effectiveSurveyorNib(submission: { surveyorNib?: string; payload: Record<string, unknown> }): string | undefined {
  if (submission.surveyorNib) return submission.surveyorNib
  const inPayload = submission.payload.surveyorNib
  return typeof inPayload === 'string' && /^[0-9]{13}$/.test(inPayload) ? inPayload : undefined
}

export const businessRulesCheck: PermitCheck = {
  name: 'business_rules',
  async run(context) {
    const { type, submission } = context
    if (!type) return skipped('No permit type to apply rules of.', 'Tidak ada jenis izin untuk diterapkan aturannya.')
    const errors = payloadRuleErrors(submission.payload, type, context.now)
    const surveyorNib = effectiveSurveyorNib(submission)
    if (submission.surveyorNib && typeof submission.payload.surveyorNib === 'string' && submission.payload.surveyorNib !== submission.surveyorNib) {
      errors.push(fieldError('/payload/surveyorNib', 'surveyor_mismatch', 'differs from surveyorNib', 'berbeda dengan surveyorNib'))
    }
    if (type.surveyorVerification && !surveyorNib) {
      errors.push(fieldError('/surveyorNib', 'surveyor_required', `${type.code} needs a surveyor's verification (Laporan Surveyor): give the surveyor's NIB`, `${type.code} memerlukan verifikasi surveyor (Laporan Surveyor): isi NIB surveyor`))
    }
    context.surveyorOrganisationId = null
    context.insurerOrganisationId = null
    if (surveyorNib) {
      const id = await context.organisations.idByNib(surveyorNib)
      if (id === undefined) errors.push(fieldError('/surveyorNib', 'surveyor_unknown', 'no organisation with this NIB uses the gateway', 'tidak ada organisasi dengan NIB ini yang terdaftar di gateway'))
      else if (id === context.organisation.id) errors.push(fieldError('/surveyorNib', 'surveyor_is_applicant', 'the applicant cannot verify its own shipment', 'pemohon tidak dapat memverifikasi pengirimannya sendiri'))
      else context.surveyorOrganisationId = id
    }
    if (submission.insurerNib) {
      const id = await context.organisations.idByNib(submission.insurerNib)
      if (id === undefined) errors.push(fieldError('/insurerNib', 'insurer_unknown', 'no organisation with this NIB uses the gateway', 'tidak ada organisasi dengan NIB ini yang terdaftar di gateway'))
      else context.insurerOrganisationId = id
    }
    return errors.length ? failed(errors) : passed()
  },
}
