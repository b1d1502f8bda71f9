import t from 'tap'
import { onCalendarWarning } from '../../src/calendar/working-days.ts'
import { obligationOf, planObligations } from '../../src/modules/obligations/deadline-rules.ts'
import type { PermitType } from '../../src/modules/permit-types/catalogue.ts'

const text = { en: 'x', id: 'x' }
const MONTHLY: Pick<PermitType, 'reportingObligation' | 'certificateKind'> = { reportingObligation: { kind: 'monthly', description: text } }
const PERIODIC_SK: Pick<PermitType, 'reportingObligation' | 'certificateKind'> = { reportingObligation: { kind: 'monthly', description: text }, certificateKind: 'periodic' }
const TRANSACTIONAL_SK: Pick<PermitType, 'reportingObligation' | 'certificateKind'> = {
  reportingObligation: { kind: 'after_validity', workingDays: 15, description: text },
  certificateKind: 'transactional',
}
const IMPORTER: Pick<PermitType, 'reportingObligation' | 'certificateKind'> = { reportingObligation: { kind: 'importer_calendar', description: text } }

/** An instant at a WIB wall-clock time. */
function wib(local: string): Date {
  return new Date(`${local}+07:00`)
}

t.test('each permit type maps to its ladder kind and rule', async (t) => {
  t.same(obligationOf(MONTHLY), { kind: 'business_licence', rule: 'monthly_15th' })
  t.same(obligationOf(PERIODIC_SK), { kind: 'surat_keterangan', rule: 'monthly_15th' })
  t.same(obligationOf(TRANSACTIONAL_SK), { kind: 'surat_keterangan', rule: 'working_days_after_validity', workingDays: 15 })
  t.same(obligationOf(IMPORTER), { kind: 'importer_id', rule: 'importer_calendar' })
  t.equal(obligationOf({ reportingObligation: { kind: 'none', description: text } }), null)
  t.same(planObligations({ reportingObligation: { kind: 'none', description: text } }, { issuedAt: wib('2026-01-05T10:00:00'), validUntil: wib('2026-12-31T23:00:00') }), [])
})

t.test('monthly: every month of the validity, clipped, due the 15th of the next month at 23:59:59.999 WIB', async (t) => {
  const planned = planObligations(MONTHLY, { issuedAt: wib('2026-09-20T09:00:00'), validUntil: wib('2026-12-10T09:00:00') })
  t.same(
    planned.map((o) => [o.period, o.periodStart, o.periodEnd, o.dueDate]),
    [
      ['2026-09', '2026-09-20', '2026-09-30', '2026-10-15'],
      ['2026-10', '2026-10-01', '2026-10-31', '2026-11-16'],
      ['2026-11', '2026-11-01', '2026-11-30', '2026-12-15'],
      // Year end: December is due on 15 January of the next year.
      ['2026-12', '2026-12-01', '2026-12-10', '2027-01-15'],
    ],
  )
  t.equal(planned[0]!.dueAt.toISOString(), '2026-10-15T16:59:59.999Z', 'the end of the 15th in Jakarta')
  t.ok(planned.every((o) => o.kind === 'business_licence' && o.rule === 'monthly_15th'))
})

t.test('the 15th on a weekend or holiday moves to the next working day, and says why', async (t) => {
  // 2026-11-15 is a Sunday.
  const sunday = planObligations(MONTHLY, { issuedAt: wib('2026-10-02T09:00:00'), validUntil: wib('2026-10-30T09:00:00') })[0]!
  t.match(sunday, { period: '2026-10', nominalDueDate: '2026-11-15', dueDate: '2026-11-16', movedBecause: 'weekend' })
  // 2026-05-15 is a Friday of cuti bersama (after Ascension Day): Saturday and Sunday follow.
  const holiday = planObligations(PERIODIC_SK, { issuedAt: wib('2026-04-01T09:00:00'), validUntil: wib('2026-04-30T09:00:00') })[0]!
  t.match(holiday, { kind: 'surat_keterangan', nominalDueDate: '2026-05-15', dueDate: '2026-05-18', movedBecause: 'holiday' })
  // 2026-03-15 is a Sunday, and 2026-03-16 a Monday: moved one day only.
  const march = planObligations(MONTHLY, { issuedAt: wib('2026-02-03T09:00:00'), validUntil: wib('2026-02-20T09:00:00') })[0]!
  t.match(march, { nominalDueDate: '2026-03-15', dueDate: '2026-03-16', movedBecause: 'weekend' })
  const plain = planObligations(MONTHLY, { issuedAt: wib('2026-06-03T09:00:00'), validUntil: wib('2026-06-20T09:00:00') })[0]!
  t.match(plain, { nominalDueDate: '2026-07-15', dueDate: '2026-07-15', movedBecause: null })
})

t.test('February of a leap year ends on the 29th', async (t) => {
  const warnings: number[] = []
  onCalendarWarning((_message, detail) => warnings.push(detail.year))
  t.teardown(() => onCalendarWarning((message) => process.emitWarning(message, { code: 'HOLIDAYS_FIXTURE' })))
  const leap = planObligations(MONTHLY, { issuedAt: wib('2028-02-10T09:00:00'), validUntil: wib('2028-03-31T09:00:00') })
  t.same(leap.map((o) => [o.period, o.periodEnd, o.dueDate]), [
    ['2028-02', '2028-02-29', '2028-03-15'],
    ['2028-03', '2028-03-31', '2028-04-17'], // 15 April 2028 is a Saturday
  ])
  t.ok(warnings.includes(2028), 'a year missing from the holidays fixture is warned about')
  const common = planObligations(MONTHLY, { issuedAt: wib('2027-02-10T09:00:00'), validUntil: wib('2027-02-28T09:00:00') })
  t.equal(common[0]!.periodEnd, '2027-02-28')
})

t.test('months are Asia/Jakarta months: just after midnight WIB is already the next month', async (t) => {
  // 2026-10-31T17:30Z is 1 November 00:30 in Jakarta.
  const planned = planObligations(MONTHLY, { issuedAt: new Date('2026-10-31T17:30:00Z'), validUntil: new Date('2026-11-30T16:59:00Z') })
  t.same(planned.map((o) => o.period), ['2026-11'], 'no October period, and 30 November 23:59 WIB is still November')
  const late = planObligations(MONTHLY, { issuedAt: new Date('2026-10-31T16:59:00Z'), validUntil: new Date('2026-11-01T02:00:00Z') })
  t.same(late.map((o) => o.period), ['2026-10', '2026-11'], '31 October 23:59 WIB is October')
})

t.test('transactional Surat Keterangan: one report, 15 working days after the validity ends', async (t) => {
  // Validity ends Friday 2026-12-18; the 24th and 25th are closed, then the year end.
  const [only, ...rest] = planObligations(TRANSACTIONAL_SK, { issuedAt: wib('2026-09-20T09:00:00'), validUntil: wib('2026-12-18T17:00:00') })
  t.same(rest, [])
  t.match(only, { kind: 'surat_keterangan', rule: 'working_days_after_validity', period: 'validity', periodStart: '2026-09-20', periodEnd: '2026-12-18', movedBecause: null })
  // Working days after 18 Dec: 21 22 23 28 29 30 31 (7), Jan 2027: 4 6 7 8 11 12 13 14 (15; the 1st and 5th are holidays).
  t.equal(only!.dueDate, '2027-01-14')
  t.equal(only!.nominalDueDate, only!.dueDate)
})

t.test('importer calendar: the ends of January, April, July, October and December', async (t) => {
  const planned = planObligations(IMPORTER, { issuedAt: wib('2026-01-10T09:00:00'), validUntil: wib('2027-02-15T09:00:00') })
  t.same(
    planned.map((o) => [o.period, o.periodStart, o.periodEnd, o.nominalDueDate, o.dueDate, o.movedBecause]),
    [
      ['2026-01/2026-01', '2026-01-10', '2026-01-31', '2026-01-31', '2026-02-02', 'weekend'],
      ['2026-02/2026-04', '2026-02-01', '2026-04-30', '2026-04-30', '2026-04-30', null],
      ['2026-05/2026-07', '2026-05-01', '2026-07-31', '2026-07-31', '2026-07-31', null],
      ['2026-08/2026-10', '2026-08-01', '2026-10-31', '2026-10-31', '2026-11-02', 'weekend'],
      ['2026-11/2026-12', '2026-11-01', '2026-12-31', '2026-12-31', '2026-12-31', null],
      ['2027-01/2027-01', '2027-01-01', '2027-01-31', '2027-01-31', '2027-02-01', 'weekend'],
      ['2027-02/2027-04', '2027-02-01', '2027-02-15', '2027-04-30', '2027-04-30', null],
    ],
  )
  t.ok(planned.every((o) => o.kind === 'importer_id'))
})

t.test('a licence whose validity ends before it starts owes nothing', async (t) => {
  t.same(planObligations(MONTHLY, { issuedAt: wib('2026-05-10T09:00:00'), validUntil: wib('2026-05-01T09:00:00') }), [])
})
