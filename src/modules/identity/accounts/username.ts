/**
 * Generated usernames: `USER.YYYYMMDD.NN.NNNNN` (Jakarta date of creation, two-digit series,
 * five-digit sequence; `OPERATOR.…` for platform operators). The per-day counter is incremented in
 * one atomic upsert, so concurrent creations on any number of instances never collide with each
 * other. People may not choose a name of that shape (`isGeneratedShape`), and a name taken anyway
 * (chosen before that rule) is skipped, so it cannot make every approval fail.
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

/** Any `WORD.YYYYMMDD.NN.NNNNN`, in any case: the names the gateway hands out, now or later. */
const GENERATED_SHAPE = /^[a-z]+\.\d{8}\.\d{2,}\.\d{5,}$/i

export function isGeneratedShape(username: string): boolean {
  return GENERATED_SHAPE.test(username.trim())
}

/** Enough to step over any number of squatted names a person could have made by hand. */
const MAX_SKIPS = 1000

export async function nextUsername(db: Kysely<Database> | Transaction<Database>, prefix = 'USER', now = new Date()): Promise<string> {
  const day = jakartaDate(now)
  for (let attempt = 0; attempt <= MAX_SKIPS; attempt++) {
    const row = await db
      .insertInto('username_counters')
      .values({ day, last_value: 1 })
      .onConflict((oc) => oc.column('day').doUpdateSet({ last_value: sql`username_counters.last_value + 1` }))
      .returning('last_value')
      .executeTakeFirstOrThrow()
    const username = formatUsername(prefix, day, row.last_value)
    const taken = await db.selectFrom('users').select('id').where(sql`lower(username)`, '=', username.toLowerCase()).executeTakeFirst()
    if (!taken) return username
  }
  throw new Error(`no free generated username for ${prefix} on ${day} after ${MAX_SKIPS} skips`)
}
