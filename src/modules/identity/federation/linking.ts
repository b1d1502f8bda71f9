/**
 * Which local account an external identity signs in as. Nothing is created silently: an
 * external identity that matches no account is told to register.
 * - Already linked (provider + subject): that user.
 * - OSS: the business's NIB names the organisation; the user with the same email there, else
 *   its super admin (OSS vouches that the person acts for the business).
 * - SSO Kemendag: a local user with the same username, else the same NIB rule as OSS.
 * A first match is recorded in `external_identities`, so later sign-ins need no matching.
 */
import { sql, type Kysely } from 'kysely'
import type { FederatedProviderName } from '../../../config.ts'
import type { Database } from '../../../db/schema.ts'

export interface ExternalClaims {
  sub: string
  nib?: string
  email?: string
  preferred_username?: string
}

async function activeUser(db: Kysely<Database>, id: string | undefined) {
  if (!id) return undefined
  return db.selectFrom('users').select(['id', 'status']).where('id', '=', id).where('status', '=', 'active').executeTakeFirst()
}

async function userByNib(db: Kysely<Database>, nib: string | undefined, email: string | undefined) {
  if (!nib || !/^\d{13}$/.test(nib)) return undefined
  const candidates = await db
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select(['users.id', 'users.email', 'users.level'])
    .where('organisations.nib', '=', nib)
    .where('users.status', '=', 'active')
    .execute()
  const sameEmail = email ? candidates.find((user) => user.email.toLowerCase() === email.toLowerCase()) : undefined
  return sameEmail ?? candidates.find((user) => user.level === 'super_admin')
}

export async function findLinkedAccount(db: Kysely<Database>, provider: FederatedProviderName, claims: ExternalClaims): Promise<string | undefined> {
  const linked = await db
    .selectFrom('external_identities')
    .select('user_id')
    .where('provider', '=', provider)
    .where('subject', '=', claims.sub)
    .executeTakeFirst()
  if (linked) return (await activeUser(db, linked.user_id))?.id

  let userId: string | undefined
  if (provider === 'sso_kemendag' && claims.preferred_username) {
    const sameUsername = await db
      .selectFrom('users')
      .select('id')
      .where(sql`lower(username)`, '=', claims.preferred_username.toLowerCase())
      .where('status', '=', 'active')
      .where('level', '!=', 'platform_operator')
      .executeTakeFirst()
    userId = sameUsername?.id
  }
  userId ??= (await userByNib(db, claims.nib, claims.email))?.id
  if (!userId) return undefined
  await db
    .insertInto('external_identities')
    .values({ provider, subject: claims.sub, user_id: userId })
    .onConflict((oc) => oc.columns(['provider', 'subject']).doNothing())
    .execute()
  return userId
}
