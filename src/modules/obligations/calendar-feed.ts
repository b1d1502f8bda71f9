/**
 * The obligations calendar (RFC 5545, written by ical-generator): one all-day event per
 * obligation on its due date (Asia/Jakarta), with a display alarm `reminderDays` before it at
 * 09:00. Open obligations (due, overdue) and submitted ones are shown; waived ones never are.
 * A submitted one stays, marked in its summary, without an alarm: the calendar keeps the history
 * of the year and a calendar app drops nothing the user may have noted on it.
 * UIDs are `<obligation id>@insw-gateway`, so a re-fetched feed updates events in place.
 */
import { ICalAlarmType, ICalCalendarMethod, ICalEventTransparency, ICalCalendar } from 'ical-generator'
import { obligationState } from './service.ts'
import type { FeedObligationRow } from './feed-token-repository.ts'

export const FEED_TIME_ZONE = 'Asia/Jakarta'
/** The alarm rings at this hour (the calendar's local time) on the day `reminderDays` before the deadline. */
const ALARM_HOUR = 9
const DAY_SECONDS = 86_400
const WIB_OFFSET_MS = 7 * 3_600_000

/** Jakarta has kept UTC+7 (WIB) all year since 1964: one fixed rule describes it. */
const JAKARTA_VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  `TZID:${FEED_TIME_ZONE}`,
  `X-LIC-LOCATION:${FEED_TIME_ZONE}`,
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0700',
  'TZOFFSETTO:+0700',
  'TZNAME:WIB',
  'DTSTART:19700101T000000',
  'END:STANDARD',
  'END:VTIMEZONE',
].join('\r\n')

const RULES: Record<string, string> = {
  monthly_15th: 'by the 15th of the month after the period',
  working_days_after_validity: 'within the set number of working days after the licence\'s validity ends',
  importer_calendar: 'at the end of January, April, July, October and December (importer calendar)',
}

const MOVED: Record<string, string> = {
  weekend: 'it falls on a weekend',
  holiday: 'it falls on a national holiday or cuti bersama',
}

/**
 * With a calendar time zone set, ical-generator writes a Date through its LOCAL fields (the
 * process's zone). So a date or a Jakarta clock time is handed over as a Date whose local fields
 * are exactly those: the output is the same whatever TZ the process runs in.
 */
function localFields(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Date {
  return new Date(year, month - 1, day, hour, minute, second)
}

function dateOf(key: string): Date {
  const [year, month, day] = key.split('-').map(Number) as [number, number, number]
  return localFields(year, month, day)
}

function jakartaClock(instant: Date): Date {
  const wib = new Date(instant.getTime() + WIB_OFFSET_MS)
  return localFields(wib.getUTCFullYear(), wib.getUTCMonth() + 1, wib.getUTCDate(), wib.getUTCHours(), wib.getUTCMinutes(), wib.getUTCSeconds())
}

export interface FeedOptions {
  rows: FeedObligationRow[]
  now: Date
  reminderDays: number
  publicUrl: string
  organisationName: string
}

export function obligationsCalendar(options: FeedOptions): string {
  const { now, reminderDays, publicUrl } = options
  const calendar = new ICalCalendar({
    prodId: { company: 'INSW', product: 'insw-gateway', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
    name: `Realisation reports · ${options.organisationName}`,
    description: 'Deadlines of the realisation reports your organisation owes (INSW gateway).',
    timezone: { name: FEED_TIME_ZONE, generator: (zone) => (zone === FEED_TIME_ZONE ? JAKARTA_VTIMEZONE : null) },
    // Calendar apps that honour it refresh hourly; most poll on their own schedule anyway.
    ttl: 3600,
  })
  const stamp = jakartaClock(now)
  for (const row of options.rows) {
    const state = obligationState(row, now)
    const what = `${row.reference_number} ${row.period}`
    const summary =
      state === 'submitted' ? `Realisation report submitted: ${what}` : state === 'overdue' ? `Realisation report overdue: ${what}` : `Realisation report due: ${what}`
    const reports = `${publicUrl}/v1/permits/${row.permit_id}/realisation-reports`
    const moved = row.moved_because
      ? `The rule gives ${row.nominal_due_date}; moved to the next working day because ${MOVED[row.moved_because] ?? row.moved_because}.`
      : `The rule gives this date (${row.nominal_due_date}).`
    const description = [
      `Permit ${row.reference_number}: the realisation report for ${row.period} (${row.period_start} to ${row.period_end}).`,
      `Due ${row.due_date}, by 23:59 WIB: ${RULES[row.rule] ?? row.rule}.`,
      moved,
      state === 'submitted' ? `Submitted${row.submitted_at ? ` ${row.submitted_at.toISOString()}` : ''}.` : state === 'overdue' ? 'Overdue: the sanction ladder applies.' : 'Not yet submitted.',
      `Submit: ${reports}`,
    ].join('\n')
    const event = calendar.createEvent({
      id: `${row.id}@insw-gateway`,
      allDay: true,
      start: dateOf(row.due_date),
      stamp,
      summary,
      description,
      url: reports,
      transparency: ICalEventTransparency.TRANSPARENT,
    })
    if (state !== 'submitted') {
      event.createAlarm({
        type: ICalAlarmType.display,
        // Seconds before the event's start (the due date's midnight): `reminderDays` back, then forward to 09:00.
        trigger: reminderDays * DAY_SECONDS - ALARM_HOUR * 3600,
        description: `Realisation report due in ${reminderDays} day${reminderDays === 1 ? '' : 's'}: ${what}`,
      })
    }
  }
  return calendar.toString()
}
