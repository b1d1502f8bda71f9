/**
 * Whether a user's email is verified. Verification belongs to an address: it holds while the
 * user's email equals the address that was proven (`account_contacts.verified_email`), so an
 * email changed by any path is unverified until a link mailed to it is used.
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../../db/schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Records that the user's current email was just proven (a link mailed to it was used). */
export async function markEmailVerified(db: Db, userId: string): Promise<void> {
  const user = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst()
  if (!user) return
  const now = new Date()
  await db
    .insertInto('account_contacts')
    .values({ user_id: userId, email_verified_at: now, verified_email: user.email })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        // The first verification time is kept while the address stays the same.
        email_verified_at: sql`case when lower(account_contacts.verified_email) = lower(${user.email}) then coalesce(account_contacts.email_verified_at, ${now}) else ${now} end`,
        verified_email: user.email,
        updated_at: now,
      }),
    )
    .execute()
}

// The rule itself lives below the modules: the OIDC provider reads it for the email_verified claim.
export { emailIsVerified } from '../../../identity/email-verified.ts'

/** The verified state of several users at once (by id). */
export async function verifiedEmails(db: Db, userIds: string[]): Promise<Map<string, string | null>> {
  if (userIds.length === 0) return new Map()
  const rows = await db.selectFrom('account_contacts').select(['user_id', 'verified_email']).where('user_id', 'in', userIds).execute()
  return new Map(rows.map((row) => [row.user_id, row.verified_email]))
}
