/**
 * Working days in Indonesia, for SLAs (permits) and reporting deadlines (reports).
 *
 * Business time is Asia/Jakarta (WIB, UTC+7, no daylight saving), so a "day" here is a WIB
 * calendar day whatever the server's time zone. Working days are Monday to Friday except national
 * holidays and cuti bersama, read from fixtures/holidays.json (one SKB 3 Menteri per year).
 *
 * Counting rule (addWorkingDays):
 * - The day of submission never counts, whether or not it is a working day (part of a day is not
 *   a day). Day 1 is the first working day after the submission's WIB day, so a submission on a
 *   Saturday, or at 23:30 on a Friday, starts counting on Monday (or the next working day).
 * - The result is the END of the last working day: 23:59:59.999 WIB as an instant.
 * - `days = 0` is the end of the submission's day when that is a working day, else the end of
 *   the next working day.
 *
 * A date in a year the fixture does not cover: a logged warning (once per year), and that year
 * counts weekends only. Not an error, on purpose: a missing fixture year must not turn every
 * submission into a 500; counting weekends only gives an EARLIER due time than the truth, so the
 * SLA flags err on the side of warning the business. The warning tells the operator to update
 * the fixture (README, "Permit types").
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const DAY_MS = 86_400_000
/** WIB is UTC+7 all year. */
const WIB_OFFSET_MS = 7 * 3_600_000
const DATE_KEY = /^(\d{4})-(\d{2})-(\d{2})$/

export const DEFAULT_HOLIDAYS_PATH = fileURLToPath(new URL('../../fixtures/holidays.json', import.meta.url))

export type CalendarWarning = (message: string, detail: { year: number }) => void

interface Calendar {
  /** WIB day numbers (days since 1970-01-01 WIB) that are holidays or cuti bersama. */
  closed: Set<number>
  years: Set<number>
  provisional: number[]
}

let calendar: Calendar | undefined
let warn: CalendarWarning = (message) => process.emitWarning(message, { code: 'HOLIDAYS_FIXTURE' })
const warnedYears = new Set<number>()

/** The WIB calendar day of an instant, as days since 1970-01-01. */
function wibDay(instant: Date): number {
  const ms = instant.getTime()
  if (!Number.isFinite(ms)) throw new RangeError('invalid date')
  return Math.floor((ms + WIB_OFFSET_MS) / DAY_MS)
}

function yearOf(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear()
}

/** The last millisecond of a WIB day (23:59:59.999 WIB), as an instant. */
function endOfDay(day: number): Date {
  return new Date((day + 1) * DAY_MS - WIB_OFFSET_MS - 1)
}

function dayOfKey(key: string): number | undefined {
  const match = DATE_KEY.exec(key)
  if (!match) return undefined
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  // Rejects 2026-02-30 and the like: the parsed day must print back as the same key.
  return new Date(ms).toISOString().slice(0, 10) === key ? ms / DAY_MS : undefined
}

/**
 * Reads and checks the holidays fixture (throws one line naming the broken entry). Called lazily
 * on first use with the default path; call it at start to fail fast or to use another file.
 */
export function loadHolidayCalendar(path: string = DEFAULT_HOLIDAYS_PATH): { years: number[]; provisional: number[] } {
  let file: { years?: Record<string, { status?: unknown; days?: unknown }> }
  try {
    file = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new Error(`holidays ${path}: cannot be read as JSON (${(error as Error).message})`, { cause: error })
  }
  if (!file?.years || typeof file.years !== 'object') throw new Error(`holidays ${path}: needs a "years" object`)
  const next: Calendar = { closed: new Set(), years: new Set(), provisional: [] }
  for (const [yearKey, entry] of Object.entries(file.years)) {
    const year = Number(yearKey)
    if (!/^\d{4}$/.test(yearKey)) throw new Error(`holidays ${path}: year "${yearKey.slice(0, 20)}" is not a 4-digit year`)
    if (entry?.status !== 'official' && entry?.status !== 'provisional') throw new Error(`holidays ${path}: ${year}: status must be "official" or "provisional"`)
    if (!Array.isArray(entry.days)) throw new Error(`holidays ${path}: ${year}: needs a "days" list`)
    for (const [index, holiday] of (entry.days as { date?: unknown; kind?: unknown }[]).entries()) {
      const day = typeof holiday?.date === 'string' ? dayOfKey(holiday.date) : undefined
      if (day === undefined || yearOf(day) !== year) throw new Error(`holidays ${path}: ${year} day #${index}: date must be a real YYYY-MM-DD in ${year}`)
      if (holiday.kind !== 'national' && holiday.kind !== 'cuti_bersama') throw new Error(`holidays ${path}: ${year} day #${index} (${holiday.date}): kind must be "national" or "cuti_bersama"`)
      next.closed.add(day)
    }
    next.years.add(year)
    if (entry.status === 'provisional') next.provisional.push(year)
  }
  calendar = next
  warnedYears.clear()
  return { years: [...next.years].sort(), provisional: next.provisional }
}

/** Where warnings go (the app passes its logger); the default is a process warning. */
export function onCalendarWarning(handler: CalendarWarning): void {
  warn = handler
}

function closedDays(day: number): Set<number> {
  calendar ??= (loadHolidayCalendar(), calendar!)
  const year = yearOf(day)
  if (!calendar.years.has(year) && !warnedYears.has(year)) {
    warnedYears.add(year)
    warn(`holidays fixture has no year ${year}: counting weekends only for it; add the SKB 3 Menteri for ${year} to fixtures/holidays.json`, { year })
  }
  return calendar.closed
}

function isWorkingDayNumber(day: number): boolean {
  const weekday = (day + 4) % 7 // 1970-01-01 was a Thursday; 0 is Sunday
  if (weekday === 0 || weekday === 6) return false
  return !closedDays(day).has(day)
}

/** True when the WIB calendar day of `date` is a working day. */
export function isWorkingDay(date: Date): boolean {
  return isWorkingDayNumber(wibDay(date))
}

/** The end (23:59:59.999 WIB) of the `days`-th working day after `start`'s WIB day; rule above. */
export function addWorkingDays(start: Date, days: number): Date {
  if (!Number.isInteger(days) || days < 0 || days > 3660) throw new RangeError('days must be a whole number 0-3660')
  let day = wibDay(start)
  if (days === 0) {
    while (!isWorkingDayNumber(day)) day++
    return endOfDay(day)
  }
  let counted = 0
  while (counted < days) {
    day++
    if (isWorkingDayNumber(day)) counted++
  }
  return endOfDay(day)
}

/**
 * Working days after `from`'s WIB day up to and including `to`'s WIB day (negative when `to` is
 * earlier). `workingDaysBetween(start, addWorkingDays(start, n)) === n` for n ≥ 1.
 */
export function workingDaysBetween(from: Date, to: Date): number {
  const a = wibDay(from)
  const b = wibDay(to)
  const [low, high, sign] = a <= b ? [a, b, 1] : [b, a, -1]
  if (high - low > 36_600) throw new RangeError('dates more than 100 years apart')
  let count = 0
  for (let day = low + 1; day <= high; day++) if (isWorkingDayNumber(day)) count++
  return sign * count
}

/**
 * Where a permit stands against its SLA.
 * - remainingMs: dueAt − now (negative once breached: how late it is);
 * - remainingWorkingDays: whole working days after today (WIB) up to the due day, 0 on the due
 *   day and once breached;
 * - atRisk: not breached and at most 1 working day left (one rule for every SLA length: with SLAs
 *   of 2-5 working days a percentage would flag either too late or at once);
 * - breached: now is after dueAt.
 * A `now` before `submittedAt` (clock skew between instances) is read as `submittedAt`.
 */
export function slaState(
  submittedAt: Date,
  dueAt: Date,
  now: Date,
): { dueAt: string; remainingWorkingDays: number; remainingMs: number; atRisk: boolean; breached: boolean } {
  const at = now.getTime() < submittedAt.getTime() ? submittedAt : now
  const remainingMs = dueAt.getTime() - at.getTime()
  const breached = remainingMs < 0
  const remainingWorkingDays = breached ? 0 : Math.max(0, workingDaysBetween(at, dueAt))
  return { dueAt: dueAt.toISOString(), remainingWorkingDays, remainingMs, atRisk: !breached && remainingWorkingDays <= 1, breached }
}

/** Why a WIB calendar date (`YYYY-MM-DD`) is not a working day, or null when it is one. */
export function closureOf(dateKey: string): 'weekend' | 'holiday' | null {
  const day = dayOfKey(dateKey)
  if (day === undefined) throw new RangeError(`not a date: ${dateKey}`)
  const weekday = (day + 4) % 7
  if (weekday === 0 || weekday === 6) return 'weekend'
  return closedDays(day).has(day) ? 'holiday' : null
}

/** The WIB calendar date (`YYYY-MM-DD`) of an instant. */
export function wibDateKey(instant: Date): string {
  return new Date(wibDay(instant) * DAY_MS).toISOString().slice(0, 10)
}

/** The last millisecond (23:59:59.999 WIB) of a WIB calendar date, as an instant. */
export function endOfWibDate(dateKey: string): Date {
  const day = dayOfKey(dateKey)
  if (day === undefined) throw new RangeError(`not a date: ${dateKey}`)
  return endOfDay(day)
}
