/**
 * Timestamps PostgreSQL writes as the API shows them, for lists where reading them back cost more
 * than the query: the driver parses a timestamptz into a Date (a regular expression and a Date
 * per value, ~1.5 µs), only for the API to format it back with toISOString. A page of 20 users
 * had 42 of them. to_char in the query costs the server next to nothing.
 */
import { sql, type RawBuilder } from 'kysely'

/**
 * `column` as `Date.prototype.toISOString()` writes it: UTC, `Z`, milliseconds truncated as a JS
 * Date truncates the microseconds PostgreSQL keeps. `column` is an identifier of this codebase
 * (`table.column`), never input.
 */
export function isoTimestamp(column: string): RawBuilder<string> {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(column)) throw new Error(`not a column: ${column}`)
  return sql<string>`to_char(${sql.raw(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
}
