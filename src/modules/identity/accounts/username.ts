/**
 * Generated usernames: `USER.YYYYMMDD.NN.NNNNN` (Jakarta date of creation, two-digit series,
 * five-digit sequence). The per-day counter is incremented in one atomic upsert, so concurrent
 * creations on any number of instances never collide.
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../../db/schema.ts'

const PER_SERIES = 99_999

export function jakartaDate(now = new Date()): string {
  // en-CA formats as YYYY-MM-DD.
  return now.toLocaleDateString('en-CA', { timeZone: 'Asia/Jakarta' })
}

export function formatUsername(prefix: string, day: string, counter: number): string {
  const series = Math.floor((counter - 1) / PER_SERIES) + 1
  const sequence = ((counter - 1) % PER_SERIES) + 1
  return `${prefix}.${day.replaceAll('-', '')}.${String(series).padStart(2, '0')}.${String(sequence).padStart(5, '0')}`
}

export async function nextUsername(db: Kysely<Database> | Transaction<Database>, prefix = 'USER', now = new Date()): Promise<string> {
  const day = jakartaDate(now)
  const row = await db
    .insertInto('username_counters')
    .values({ day, last_value: 1 })
    .onConflict((oc) => oc.column('day').doUpdateSet({ last_value: sql`username_counters.last_value + 1` }))
    .returning('last_value')
    .executeTakeFirstOrThrow()
  return formatUsername(prefix, day, row.last_value)
}
