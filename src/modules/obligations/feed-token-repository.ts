/**
 * Calendar feed tokens' SQL (migrations/0013_compliance.sql calendar_feed_tokens): only the
 * SHA-256 digest of a token is ever stored or looked up; one active token per user (a partial
 * unique index).
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database, UserLevel } from '../../db/schema.ts'
import type { ObligationRow } from './repository.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface ActiveFeedToken {
  id: string
  createdAt: Date
}

/**
 * Revokes the user's active token, if any, and stores the new digest, in one transaction. The
 * user's row is locked first so two rotations at once queue instead of colliding on the index.
 */
export async function replaceFeedToken(db: Kysely<Database>, userId: string, digest: string, now: Date): Promise<ActiveFeedToken> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst()
    await trx.updateTable('calendar_feed_tokens').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute()
    const row = await trx.insertInto('calendar_feed_tokens').values({ user_id: userId, token_sha256: digest, created_at: now }).returning(['id', 'created_at']).executeTakeFirstOrThrow()
    return { id: row.id, createdAt: row.created_at }
  })
}

export async function findActiveFeedToken(db: Db, userId: string): Promise<ActiveFeedToken | undefined> {
  const row = await db.selectFrom('calendar_feed_tokens').select(['id', 'created_at']).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()
  return row && { id: row.id, createdAt: row.created_at }
}

/** Revokes the user's active token; false when there was none. */
export async function revokeFeedToken(db: Db, userId: string, now: Date): Promise<boolean> {
  const result = await db.updateTable('calendar_feed_tokens').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface FeedTokenOwner {
  tokenSha256: string
  revokedAt: Date | null
  user: { id: string; status: string; organisation_id: string | null; level: UserLevel; group_id: string | null }
}

/** The token with this digest (revoked or not) and its user as they are now. */
export async function findFeedTokenByDigest(db: Db, digest: string): Promise<FeedTokenOwner | undefined> {
  const row = await db
    .selectFrom('calendar_feed_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.token_sha256', 't.revoked_at', 'u.id', 'u.status', 'u.organisation_id', 'u.level', 'u.group_id'])
    .where('t.token_sha256', '=', digest)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    tokenSha256: row.token_sha256,
    revokedAt: row.revoked_at,
    user: { id: row.id, status: row.status, organisation_id: row.organisation_id, level: row.level, group_id: row.group_id },
  }
}

/** An obligation as the feed shows it (its columns, the permit's reference). */
export type FeedObligationRow = Pick<
  ObligationRow,
  'id' | 'permit_id' | 'kind' | 'rule' | 'period' | 'period_start' | 'period_end' | 'nominal_due_date' | 'due_date' | 'moved_because' | 'due_at' | 'status' | 'submitted_at'
> & { reference_number: string }

/**
 * What the feed shows: every open obligation (due or overdue, however old) and those submitted
 * with a deadline on or after `submittedSince`, earliest deadline first. Waived ones never.
 */
export async function feedObligations(db: Db, organisationId: string, submittedSince: string): Promise<FeedObligationRow[]> {
  return db
    .selectFrom('obligations as o')
    .innerJoin('permits as p', 'p.id', 'o.permit_id')
    .select(['o.id', 'o.permit_id', 'p.reference_number', 'o.kind', 'o.rule', 'o.period', 'o.period_start', 'o.period_end', 'o.nominal_due_date', 'o.due_date', 'o.moved_because', 'o.due_at', 'o.status', 'o.submitted_at'])
    .where('o.organisation_id', '=', organisationId)
    .where((eb) => eb.or([eb('o.status', '=', 'due'), eb.and([eb('o.status', '=', 'submitted'), eb('o.due_date', '>=', submittedSince)])]))
    .orderBy('o.due_at')
    .orderBy('o.id')
    .execute()
}
