/**
 * A report's lines against its permit, in order: each line's own rules (a reason when not
 * realised), then the permit's (only its HS codes, in its units), then the quota: realised
 * quantities of every report of the permit (their current versions) may not exceed what the
 * permit allows per HS code. Field-level errors name the line (`/lines/2/quantity`).
 */
import type { FieldError } from '../../errors/app-error.ts'
import type { RealisationLine } from '../../db/tables/compliance.ts'

export interface PermittedLine {
  hsCode: string
  quantity: number
  unit: string
}

export interface LineVerdict {
  /** VALIDATION_FAILED: the lines are wrong in themselves or for this permit. */
  invalid: FieldError[]
  /** OVER_REALISATION: right, but more than the permit allows across all reports. */
  over: FieldError[]
}

const digits = (hsCode: string) => hsCode.replace(/\./g, '')

/** The permit payload's lines, read defensively (the payload belongs to its type's schema). */
export function permittedLines(payload: unknown): PermittedLine[] {
  const lines = (payload as { lines?: unknown })?.lines
  if (!Array.isArray(lines)) return []
  return lines.flatMap((line: Record<string, unknown>) =>
    typeof line?.hsCode === 'string' && typeof line.quantity === 'number' && typeof line.unit === 'string' ? [{ hsCode: digits(line.hsCode), quantity: line.quantity, unit: line.unit }] : [],
  )
}

export function checkLines(permitted: PermittedLine[], earlier: RealisationLine[], lines: RealisationLine[]): LineVerdict {
  const invalid: FieldError[] = []
  const quota = new Map<string, { unit: string; quantity: number }>()
  for (const line of permitted) {
    const entry = quota.get(line.hsCode)
    quota.set(line.hsCode, { unit: line.unit, quantity: (entry?.quantity ?? 0) + line.quantity })
  }
  lines.forEach((line, index) => {
    const at = `/lines/${index}`
    if (!line.realised && !line.reason) invalid.push({ pointer: `${at}/reason`, in: 'body', detail: 'say why a line was not realised', reason: 'required' })
    const allowed = quota.get(digits(line.hsCode))
    if (!allowed) {
      invalid.push({ pointer: `${at}/hsCode`, in: 'body', detail: `HS code ${line.hsCode} is not on the permit (it allows ${[...quota.keys()].join(', ') || 'none'})`, reason: 'hs_code_not_permitted' })
    } else if (allowed.unit !== line.unit) {
      invalid.push({ pointer: `${at}/unit`, in: 'body', detail: `the permit counts HS code ${line.hsCode} in ${allowed.unit}`, reason: 'unit_mismatch' })
    }
  })
  if (invalid.length > 0) return { invalid, over: [] }

  const realised = (rows: RealisationLine[], hsCode: string) => rows.filter((row) => row.realised && digits(row.hsCode) === hsCode).reduce((sum, row) => sum + row.quantity, 0)
  const over: FieldError[] = []
  for (const [hsCode, allowed] of quota) {
    const before = realised(earlier, hsCode)
    const now = realised(lines, hsCode)
    if (now > 0 && before + now > allowed.quantity + 1e-9) {
      const index = lines.findIndex((line) => line.realised && digits(line.hsCode) === hsCode)
      over.push({
        pointer: `/lines/${index}/quantity`,
        in: 'body',
        detail: `HS code ${hsCode}: ${before} ${allowed.unit} already reported + ${now} here exceeds the ${allowed.quantity} ${allowed.unit} the permit allows (${Math.max(0, allowed.quantity - before)} left)`,
        reason: 'over_realisation',
      })
    }
  }
  return { invalid: [], over }
}
