// Working days in Asia/Jakarta: weekends, national holidays, cuti bersama, year ends, the WIB day
// boundary, and the SLA state built on them.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import {
  addWorkingDays,
  isWorkingDay,
  loadHolidayCalendar,
  onCalendarWarning,
  slaState,
  workingDaysBetween,
} from '../../src/calendar/working-days.ts'

const wib = (text: string) => new Date(`${text}+07:00`)
/** The end of a WIB day, as addWorkingDays answers it. */
const endOf = (date: string) => wib(`${date}T23:59:59.999`)

t.test('the fixture covers 2025-2027, with 2027 provisional', async (t) => {
  const coverage = loadHolidayCalendar()
  t.same(coverage.years, [2025, 2026, 2027])
  t.same(coverage.provisional, [2027])
})

t.test('weekends are not working days, weekdays are', async (t) => {
  t.equal(isWorkingDay(wib('2026-11-28T10:00:00')), false, 'Saturday')
  t.equal(isWorkingDay(wib('2026-11-29T10:00:00')), false, 'Sunday')
  t.equal(isWorkingDay(wib('2026-11-30T10:00:00')), true, 'Monday')
  // Monday 2 Nov 2026 to Monday 9 Nov: five working days after the start day.
  t.equal(addWorkingDays(wib('2026-11-02T09:00:00'), 5).getTime(), endOf('2026-11-09').getTime())
})

t.test('a national holiday does not count', async (t) => {
  t.equal(isWorkingDay(wib('2026-08-17T10:00:00')), false, 'Independence Day (Monday)')
  t.equal(isWorkingDay(wib('2026-08-25T10:00:00')), false, 'Maulid Nabi (Tuesday)')
  // Friday 14 Aug + 3: Tue 18, Wed 19, Thu 20 (Mon 17 is a holiday).
  t.equal(addWorkingDays(wib('2026-08-14T10:00:00'), 3).getTime(), endOf('2026-08-20').getTime())
  t.equal(isWorkingDay(wib('2025-05-29T10:00:00')), false, 'Ascension 2025')
})

t.test('cuti bersama does not count', async (t) => {
  t.equal(isWorkingDay(wib('2026-03-20T10:00:00')), false, 'Idul Fitri cuti bersama, Friday')
  t.equal(isWorkingDay(wib('2026-03-23T10:00:00')), false, 'Monday')
  t.equal(isWorkingDay(wib('2026-03-24T10:00:00')), false, 'Tuesday')
  t.equal(isWorkingDay(wib('2026-05-15T10:00:00')), false, 'Ascension cuti bersama')
  t.equal(isWorkingDay(wib('2025-08-18T10:00:00')), false, 'added by the August 2025 amendment')
  // Mon 16 Mar 2026 + 3: Tue 17, then 18 (cuti), 19 (Nyepi), 20 (cuti), weekend with Lebaran, 23 and 24 (cuti): Wed 25, Thu 26.
  t.equal(addWorkingDays(wib('2026-03-16T10:00:00'), 3).getTime(), endOf('2026-03-26').getTime())
  t.equal(workingDaysBetween(wib('2026-03-16T10:00:00'), wib('2026-03-27T10:00:00')), 4)
})

t.test('a year end across 2026 → 2027', async (t) => {
  // Tue 22 Dec 2026 + 5: Wed 23, (24 cuti, 25 Christmas, weekend) Mon 28, Tue 29, Wed 30, Thu 31.
  t.equal(addWorkingDays(wib('2026-12-22T10:00:00'), 5).getTime(), endOf('2026-12-31').getTime())
  // + 7: (1 Jan New Year, weekend) Mon 4 Jan, (5 Jan Isra Mi'raj, provisional) Wed 6 Jan.
  t.equal(addWorkingDays(wib('2026-12-22T10:00:00'), 7).getTime(), endOf('2027-01-06').getTime())
  t.equal(isWorkingDay(wib('2027-01-01T10:00:00')), false, "New Year's Day 2027")
  t.equal(workingDaysBetween(wib('2026-12-22T10:00:00'), wib('2027-01-06T08:00:00')), 7)
})

t.test('a submission at 23:30 WIB on a Friday counts from Monday', async (t) => {
  const friday = wib('2026-11-27T23:30:00') // 16:30 UTC, still Friday in UTC too
  t.equal(addWorkingDays(friday, 1).toISOString(), '2026-11-30T16:59:59.999Z', 'end of Monday WIB')
  t.equal(addWorkingDays(friday, 5).getTime(), endOf('2026-12-04').getTime())
  // A Saturday submission is due at the same time as the Friday one: neither day counts.
  t.equal(addWorkingDays(wib('2026-11-28T11:00:00'), 5).getTime(), addWorkingDays(friday, 5).getTime())
})

t.test('the day is the WIB day, not the UTC day', async (t) => {
  // 00:30 WIB on Saturday is 17:30 UTC on Friday: a Saturday submission.
  const saturdayWib = new Date('2026-11-27T17:30:00Z')
  t.equal(isWorkingDay(saturdayWib), false, 'Saturday in Jakarta although Friday in UTC')
  t.equal(addWorkingDays(saturdayWib, 1).toISOString(), '2026-11-30T16:59:59.999Z')
  // 23:59 WIB on Friday is 16:59 UTC: still Friday.
  t.equal(isWorkingDay(new Date('2026-11-27T16:59:00Z')), true)
  // 06:59 WIB on Monday 17 Aug (holiday) is 23:59 UTC on Sunday 16 Aug.
  t.equal(isWorkingDay(new Date('2026-08-16T23:59:00Z')), false)
  // Midnight UTC on Tuesday 1 Dec 2026 is 07:00 WIB on Tuesday: the day count is the same.
  t.equal(workingDaysBetween(new Date('2026-11-30T16:59:59.999Z'), new Date('2026-11-30T17:00:00Z')), 1, 'one WIB midnight crossed')
  t.equal(workingDaysBetween(new Date('2026-11-30T17:00:00Z'), new Date('2026-12-01T00:00:00Z')), 0, 'UTC midnight is not a day boundary')
})

t.test('addWorkingDays and workingDaysBetween agree, and refuse nonsense', async (t) => {
  const start = wib('2026-12-10T14:00:00')
  for (const days of [1, 2, 5, 10, 15, 30]) t.equal(workingDaysBetween(start, addWorkingDays(start, days)), days, `${days} days`)
  t.equal(workingDaysBetween(addWorkingDays(start, 5), start), -5, 'negative backwards')
  t.equal(addWorkingDays(wib('2026-12-10T14:00:00'), 0).getTime(), endOf('2026-12-10').getTime(), '0: end of a working submission day')
  t.equal(addWorkingDays(wib('2026-12-24T14:00:00'), 0).getTime(), endOf('2026-12-28').getTime(), '0 on a holiday: end of the next working day')
  t.throws(() => addWorkingDays(start, -1), RangeError)
  t.throws(() => addWorkingDays(start, 1.5), RangeError)
  t.throws(() => addWorkingDays(new Date('nonsense'), 1), RangeError)
})

t.test('slaState: on time, at risk, on the due day, breached', async (t) => {
  const submittedAt = wib('2026-12-01T10:00:00') // Tuesday
  const dueAt = addWorkingDays(submittedAt, 5) // end of Tuesday 8 Dec
  t.equal(dueAt.getTime(), endOf('2026-12-08').getTime())

  const fresh = slaState(submittedAt, dueAt, wib('2026-12-01T10:00:01'))
  t.same(fresh, { dueAt: '2026-12-08T16:59:59.999Z', remainingWorkingDays: 5, remainingMs: dueAt.getTime() - wib('2026-12-01T10:00:01').getTime(), atRisk: false, breached: false })

  const twoLeft = slaState(submittedAt, dueAt, wib('2026-12-04T09:00:00')) // Friday: Mon and Tue left
  t.equal(twoLeft.remainingWorkingDays, 2)
  t.equal(twoLeft.atRisk, false)

  const weekend = slaState(submittedAt, dueAt, wib('2026-12-05T12:00:00')) // Saturday: Mon and Tue still ahead
  t.equal(weekend.remainingWorkingDays, 2, 'a weekend does not use up working days')

  const monday = slaState(submittedAt, dueAt, wib('2026-12-07T09:00:00'))
  t.equal(monday.remainingWorkingDays, 1)
  t.equal(monday.atRisk, true, 'at risk with one working day left')
  t.equal(monday.breached, false)

  const dueDay = slaState(submittedAt, dueAt, wib('2026-12-08T23:59:00'))
  t.same([dueDay.remainingWorkingDays, dueDay.atRisk, dueDay.breached], [0, true, false], 'last minute of the due day')
  t.equal(dueDay.remainingMs, 59_999)

  const late = slaState(submittedAt, dueAt, wib('2026-12-09T00:00:00'))
  t.same([late.remainingWorkingDays, late.atRisk, late.breached], [0, false, true], 'breached at WIB midnight')
  t.equal(late.remainingMs, -1, 'negative: how late')

  const skewed = slaState(submittedAt, dueAt, wib('2026-12-01T09:59:00'))
  t.equal(skewed.remainingMs, dueAt.getTime() - submittedAt.getTime(), 'a clock behind the submission reads as the submission time')
})

t.test('a year outside the fixture counts weekends only and warns once', async (t) => {
  const warnings: string[] = []
  onCalendarWarning((message) => warnings.push(message))
  t.teardown(() => onCalendarWarning(() => {}))
  loadHolidayCalendar()
  // 1 Jan 2030 is a Tuesday (New Year, but 2030 is not in the fixture).
  t.equal(isWorkingDay(wib('2030-01-01T10:00:00')), true, 'no holidays known for 2030')
  t.equal(isWorkingDay(wib('2030-01-05T10:00:00')), false, 'weekends still count')
  t.equal(addWorkingDays(wib('2030-01-04T10:00:00'), 2).getTime(), endOf('2030-01-08').getTime())
  t.equal(warnings.length, 1, 'one warning for the year')
  t.match(warnings[0], /no year 2030/)
})

t.test('a broken holidays file names the entry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'holidays-'))
  const write = (content: unknown) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.json`)
    writeFileSync(path, JSON.stringify(content))
    return path
  }
  t.throws(() => loadHolidayCalendar(write({ years: { 2026: { status: 'official', days: [{ date: '2026-02-30', kind: 'national' }] } } })), { message: /2026 day #0: date must be a real/ })
  t.throws(() => loadHolidayCalendar(write({ years: { 2026: { status: 'official', days: [{ date: '2025-12-31', kind: 'national' }] } } })), { message: /in 2026/ })
  t.throws(() => loadHolidayCalendar(write({ years: { 2026: { status: 'official', days: [{ date: '2026-12-31', kind: 'party' }] } } })), { message: /kind must be/ })
  t.throws(() => loadHolidayCalendar(write({ years: { 2026: { status: 'maybe', days: [] } } })), { message: /status must be/ })
  // The default calendar again for any later test in this file.
  loadHolidayCalendar()
})
