/** Active sanctions that refuse new permit applications: the permits service asks before accepting one (one indexed look-up). */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'

export async function blockingSanctions(db: Kysely<Database> | Transaction<Database>, organisationId: string) {
  return db
    .selectFrom('sanctions')
    .select(['id', 'code', 'reason'])
    .where('organisation_id', '=', organisationId)
    .where('status', '=', 'active')
    .where('blocks_submissions', '=', true)
    .orderBy('applied_at')
    .execute()
}
