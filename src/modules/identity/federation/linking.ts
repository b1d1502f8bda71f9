/**
 * Which local account an external identity (OSS, SSO Kemendag) signs in as. A link never crosses
 * organisations and is never made on the gateway's guess alone:
 * - Only users of the organisation whose NIB the identity carries can be linked, and a link is
 *   honoured only while the user's organisation still has that NIB.
 * - The local user confirms the link, in one of two ways: the IdP asserts a verified email
 *   (`email_verified: true`) equal to the user's own verified email, and only one user of the
 *   organisation has it; or the person, told that the identity is not linked yet, signs in with
 *   their INSW username and password in the same sign-in (see `confirmPendingLink`).
 * - Nothing is created silently: an identity whose NIB names no organisation is told to register.
 * Usernames are never compared: anybody's admin can create a user named after a known
 * SSO Kemendag username.
 */
import type { Kysely, Transaction } from 'kysely'
import type { FederatedProviderName } from '../../../config.ts'
import type { Database } from '../../../db/schema.ts'
import { recordAudit } from '../../audit/repository.ts'
import { emailIsVerified } from '../accounts/email-verification.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface ExternalClaims {
  sub: string
  nib?: string
  email?: string
  email_verified?: boolean
  preferred_username?: string
}

export type FederatedResolution =
  | { kind: 'linked'; userId: string }
  /** The NIB's organisation exists, but no user of it confirmed this identity yet. */
  | { kind: 'link_required'; nib: string }
  /** No organisation has the identity's NIB (or it carries none): register first. */
  | { kind: 'unknown' }

/** How long a "sign in with your INSW password to link" offer lasts: one sign-in's time. */
export const LINK_REQUEST_TTL_MS = 15 * 60 * 1000

const validNib = (nib: string | undefined): nib is string => typeof nib === 'string' && /^\d{13}$/.test(nib)

async function organisationUsers(db: Db, nib: string) {
  return db
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .leftJoin('account_contacts', 'account_contacts.user_id', 'users.id')
    .select(['users.id', 'users.email', 'users.organisation_id', 'account_contacts.verified_email'])
    .where('organisations.nib', '=', nib)
    .where('users.status', '=', 'active')
    .where('users.level', '!=', 'platform_operator')
    .execute()
}

async function existingLink(db: Db, provider: FederatedProviderName, subject: string, nib: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('external_identities as e')
    .innerJoin('users as u', 'u.id', 'e.user_id')
    .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select('u.id')
    .where('e.provider', '=', provider)
    .where('e.subject', '=', subject)
    .where('e.nib', '=', nib)
    .where('o.nib', '=', nib)
    .where('u.status', '=', 'active')
    .where('u.level', '!=', 'platform_operator')
    .executeTakeFirst()
  return row?.id
}

async function saveLink(
  db: Db,
  link: { provider: FederatedProviderName; subject: string; nib: string; userId: string; organisationId: string | null; linkedBy: 'verified_email' | 'password_sign_in'; requestId?: string },
) {
  await db
    .insertInto('external_identities')
    .values({ provider: link.provider, subject: link.subject, user_id: link.userId, nib: link.nib, linked_by: link.linkedBy })
    .onConflict((oc) => oc.columns(['provider', 'subject']).doUpdateSet({ user_id: link.userId, nib: link.nib, linked_by: link.linkedBy, linked_at: new Date() }))
    .execute()
  await recordAudit(db, {
    organisationId: link.organisationId,
    actor: { kind: 'user', id: link.userId },
    action: 'user.federated_linked',
    targetType: 'user',
    targetId: link.userId,
    after: { provider: link.provider, linkedBy: link.linkedBy },
    requestId: link.requestId,
  })
}

export async function resolveFederatedAccount(
  db: Kysely<Database>,
  provider: FederatedProviderName,
  claims: ExternalClaims,
  context: { requestId?: string } = {},
): Promise<FederatedResolution> {
  if (!validNib(claims.nib)) return { kind: 'unknown' }
  const nib = claims.nib
  const linked = await existingLink(db, provider, claims.sub, nib)
  if (linked) return { kind: 'linked', userId: linked }

  const users = await organisationUsers(db, nib)
  if (claims.email && claims.email_verified === true) {
    const email = claims.email.toLowerCase()
    const sameVerifiedEmail = users.filter((user) => user.email.toLowerCase() === email && emailIsVerified(user.email, user.verified_email))
    // Two users sharing the address cannot both be meant: the person must say which by signing in.
    if (sameVerifiedEmail.length === 1) {
      const user = sameVerifiedEmail[0]!
      await db.transaction().execute((trx) =>
        saveLink(trx, { provider, subject: claims.sub, nib, userId: user.id, organisationId: user.organisation_id, linkedBy: 'verified_email', requestId: context.requestId }),
      )
      return { kind: 'linked', userId: user.id }
    }
  }
  const organisation = await db.selectFrom('organisations').select('id').where('nib', '=', nib).executeTakeFirst()
  return organisation ? { kind: 'link_required', nib } : { kind: 'unknown' }
}

/** Remembers, for this sign-in (interaction), an identity the person may link by signing in. */
export async function requestLink(db: Kysely<Database>, interactionUid: string, provider: FederatedProviderName, claims: ExternalClaims & { nib: string }) {
  const now = new Date()
  await db.deleteFrom('federated_link_requests').where('expires_at', '<', now).execute()
  const values = { provider, subject: claims.sub, nib: claims.nib, expires_at: new Date(now.getTime() + LINK_REQUEST_TTL_MS) }
  await db
    .insertInto('federated_link_requests')
    .values({ interaction_uid: interactionUid, ...values })
    .onConflict((oc) => oc.column('interaction_uid').doUpdateSet(values))
    .execute()
}

/**
 * Called when a sign-in with an INSW password succeeded: if this same sign-in first went through
 * an unlinked external identity, link it now, provided the user belongs to the organisation of
 * the identity's NIB. The request is used once either way. Returns the provider linked, if any.
 */
export async function confirmPendingLink(
  db: Kysely<Database>,
  interactionUid: string,
  userId: string,
  context: { requestId?: string } = {},
): Promise<FederatedProviderName | undefined> {
  return db.transaction().execute(async (trx) => {
    const request = await trx
      .deleteFrom('federated_link_requests')
      .where('interaction_uid', '=', interactionUid)
      .returning(['provider', 'subject', 'nib', 'expires_at'])
      .executeTakeFirst()
    if (!request || request.expires_at <= new Date()) return undefined
    const user = await trx
      .selectFrom('users')
      .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
      .select(['users.id', 'users.organisation_id', 'organisations.nib'])
      .where('users.id', '=', userId)
      .where('users.status', '=', 'active')
      .where('users.level', '!=', 'platform_operator')
      .executeTakeFirst()
    if (!user || user.nib !== request.nib) return undefined
    await saveLink(trx, { provider: request.provider, subject: request.subject, nib: request.nib, userId, organisationId: user.organisation_id, linkedBy: 'password_sign_in', requestId: context.requestId })
    return request.provider
  })
}
