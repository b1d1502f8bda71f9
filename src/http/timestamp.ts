/**
 * The one definition of a timestamp the gateway accepts from anyone (clients, cursors, upstreams):
 * RFC 3339 date-time with a year 0001–9999, a real calendar day, seconds 00–59 (no leap second:
 * a JavaScript Date cannot hold one) and an offset of at most ±23:59. Whatever passes, both
 * `new Date()` and PostgreSQL read back as the same instant.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/

/** Longest accepted text: 2026-11-22T08:00:00.123456789+07:00 is 35 characters. */
export const MAX_TIMESTAMP_LENGTH = 40

export function isTimestamp(value: string): boolean {
  if (value.length > MAX_TIMESTAMP_LENGTH) return false
  const match = RFC3339.exec(value)
  if (!match) return false
  const [, year, month, day, hour, minute, second, , , offsetHour, offsetMinute] = match.map(Number)
  if (year! < 1 || month! < 1 || month! > 12 || day! < 1) return false
  const daysInMonth = new Date(Date.UTC(2000, month!, 0)).getUTCDate() - (month === 2 && !isLeapYear(year!) ? 1 : 0)
  if (day! > daysInMonth) return false
  if (hour! > 23 || minute! > 59 || second! > 59) return false
  if (offsetHour !== undefined && !Number.isNaN(offsetHour) && (offsetHour > 23 || offsetMinute! > 59)) return false
  return Number.isFinite(Date.parse(value.replace(' ', 'T')))
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}
