/**
 * Reporting deadlines (domain: "Realisation reports and sanctions"), as pure functions of an
 * issued licence: which periods must be reported and by when. Dates are WIB calendar dates
 * (`YYYY-MM-DD`); a deadline is the END of its day (23:59:59.999 WIB).
 *
 * - `monthly_15th` (business licences, periodic Surat Keterangan): each calendar month the licence
 *   is valid in, by the 15th of the following month.
 * - `working_days_after_validity` (transactional Surat Keterangan): one report for the whole
 *   validity, within N working days (15) after the validity ends (src/calendar/working-days.ts).
 * - `importer_calendar` (NIB acting as importer ID): at the end of January, April, July, October
 *   and December; each report covers the months since the previous deadline (Jan, Feb-Apr,
 *   May-Jul, Aug-Oct, Nov-Dec).
 *
 * A calendar deadline (the 15th, a month's end) that falls on a weekend, a national holiday or a
 * cuti bersama day moves to the NEXT working day (the usual rule of Indonesian administrative
 * deadlines: a duty due on a closed day may be done on the first day the office is open). The
 * obligation keeps the nominal date and says why it moved. Periods are clipped to the validity:
 * a licence issued on 20 March owes March (20-31), due 15 April.
 */
import { addWorkingDays, closureOf, endOfWibDate, wibDateKey } from '../../calendar/working-days.ts'
import type { PermitType } from '../permit-types/catalogue.ts'

export const OBLIGATION_KINDS = ['business_licence', 'surat_keterangan', 'importer_id', 'surveyor_report'] as const
export type ObligationKind = (typeof OBLIGATION_KINDS)[number]

export const DEADLINE_RULES = ['monthly_15th', 'working_days_after_validity', 'importer_calendar'] as const
export type DeadlineRule = (typeof DEADLINE_RULES)[number]

export interface PlannedObligation {
  kind: ObligationKind
  rule: DeadlineRule
  /** `2026-11` (monthly), `2027-02/2027-04` (importer calendar), `validity` (after validity). */
  period: string
  periodStart: string
  periodEnd: string
  /** The date the rule gives, before moving off a closed day. */
  nominalDueDate: string
  dueDate: string
  /** End of dueDate, WIB. */
  dueAt: Date
  /** Why dueDate is not nominalDueDate. */
  movedBecause: 'weekend' | 'holiday' | null
}

export interface IssuedLicence {
  issuedAt: Date
  validUntil: Date
}

/** What a permit type owes: the sanction ladder's kind and the rule, or nothing. */
export function obligationOf(type: Pick<PermitType, 'reportingObligation' | 'certificateKind'>): { kind: ObligationKind; rule: DeadlineRule; workingDays?: number } | null {
  const owed = type.reportingObligation
  switch (owed.kind) {
    case 'monthly':
      return { kind: type.certificateKind === 'periodic' ? 'surat_keterangan' : 'business_licence', rule: 'monthly_15th' }
    case 'after_validity':
      return { kind: 'surat_keterangan', rule: 'working_days_after_validity', workingDays: owed.workingDays }
    case 'importer_calendar':
      return { kind: 'importer_id', rule: 'importer_calendar' }
    case 'none':
      return null
  }
}

/** Every obligation a licence of this type creates, oldest period first. */
export function planObligations(type: Pick<PermitType, 'reportingObligation' | 'certificateKind'>, licence: IssuedLicence): PlannedObligation[] {
  const owed = obligationOf(type)
  if (!owed) return []
  const start = wibDateKey(licence.issuedAt)
  const end = wibDateKey(licence.validUntil)
  if (end < start) return []
  switch (owed.rule) {
    case 'monthly_15th':
      return monthlyPeriods(start, end).map(([from, to, month]) => calendarDeadline(owed.kind, owed.rule, month, from, to, dayOfMonth(nextMonth(month), 15)))
    case 'importer_calendar':
      return importerPeriods(start, end).map(([from, to, label, deadlineMonth]) => calendarDeadline(owed.kind, owed.rule, label, from, to, lastDayOf(deadlineMonth)))
    case 'working_days_after_validity': {
      const dueAt = addWorkingDays(licence.validUntil, owed.workingDays ?? 15)
      const dueDate = wibDateKey(dueAt)
      return [{ kind: owed.kind, rule: owed.rule, period: 'validity', periodStart: start, periodEnd: end, nominalDueDate: dueDate, dueDate, dueAt, movedBecause: null }]
    }
  }
}

/** A surveyor's monthly reports on a licence it verifies: by the 15th of the following month. */
export function planSurveyorObligations(licence: IssuedLicence): PlannedObligation[] {
  const start = wibDateKey(licence.issuedAt)
  const end = wibDateKey(licence.validUntil)
  if (end < start) return []
  return monthlyPeriods(start, end).map(([from, to, month]) => calendarDeadline('surveyor_report', 'monthly_15th', month, from, to, dayOfMonth(nextMonth(month), 15)))
}

/** A deadline on a calendar date: moved to the next working day when the office is closed. */
export function calendarDeadline(kind: ObligationKind, rule: DeadlineRule, period: string, periodStart: string, periodEnd: string, nominalDueDate: string): PlannedObligation {
  const movedBecause = closureOf(nominalDueDate)
  let dueDate = nominalDueDate
  while (closureOf(dueDate)) dueDate = nextDate(dueDate)
  return { kind, rule, period, periodStart, periodEnd, nominalDueDate, dueDate, dueAt: endOfWibDate(dueDate), movedBecause }
}

/** `[from, to, 'YYYY-MM']` for each month between two dates, clipped to them. */
function monthlyPeriods(start: string, end: string): [string, string, string][] {
  const periods: [string, string, string][] = []
  for (let month = start.slice(0, 7); month <= end.slice(0, 7); month = nextMonth(month)) {
    periods.push([maxDate(start, dayOfMonth(month, 1)), minDate(end, lastDayOf(month)), month])
  }
  return periods
}

const IMPORTER_DEADLINE_MONTHS = [1, 4, 7, 10, 12]

/** `[from, to, label, deadline month]` for each importer-calendar period overlapping the dates. */
function importerPeriods(start: string, end: string): [string, string, string, string][] {
  const periods: [string, string, string, string][] = []
  for (let year = Number(start.slice(0, 4)); year <= Number(end.slice(0, 4)); year++) {
    let firstMonth = 1
    for (const deadline of IMPORTER_DEADLINE_MONTHS) {
      const from = dayOfMonth(monthKey(year, firstMonth), 1)
      const to = lastDayOf(monthKey(year, deadline))
      firstMonth = deadline + 1
      if (to < start || from > end) continue
      periods.push([maxDate(start, from), minDate(end, to), `${from.slice(0, 7)}/${to.slice(0, 7)}`, monthKey(year, deadline)])
    }
  }
  return periods
}

function monthKey(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, '0')}`
}

function nextMonth(month: string): string {
  const [year, number] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))]
  return number === 12 ? monthKey(year + 1, 1) : monthKey(year, number + 1)
}

function dayOfMonth(month: string, day: number): string {
  return `${month}-${String(day).padStart(2, '0')}`
}

function lastDayOf(month: string): string {
  const [year, number] = [Number(month.slice(0, 4)), Number(month.slice(5, 7))]
  return new Date(Date.UTC(year, number, 0)).toISOString().slice(0, 10)
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

function maxDate(a: string, b: string): string {
  return a > b ? a : b
}

function minDate(a: string, b: string): string {
  return a < b ? a : b
}
