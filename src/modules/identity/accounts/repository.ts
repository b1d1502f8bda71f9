/** SQL for users and one-time tokens. Functions take the db (or a transaction) first. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database, OneTimeTokenPurpose, UserLevel } from '../../../db/schema.ts'
import { queueMail as queueMailWithJob, type MailToQueue } from '../../../mail/outbox.ts'

type Db = Kysely<Database> | Transaction<Database>

export function findUserByUsername(db: Db, username: string) {
  return db.selectFrom('users').selectAll().where(sql`lower(username)`, '=', username.toLowerCase()).executeTakeFirst()
}

/** A user with the address that was verified for them (see email-verification.ts). */
export function findUserWithVerifiedEmail(db: Db, username: string) {
  return db
    .selectFrom('users')
    .leftJoin('account_contacts', 'account_contacts.user_id', 'users.id')
    .selectAll('users')
    .select('account_contacts.verified_email')
    .where(sql`lower(users.username)`, '=', username.toLowerCase())
    .executeTakeFirst()
}

export function findUserById(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function insertUser(
  db: Db,
  user: {
    organisationId: string | null
    username: string
    email: string
    fullName: string
    level: UserLevel
    passwordHash?: string
    status?: 'pending_verification' | 'active'
  },
) {
  return db
    .insertInto('users')
    .values({
      organisation_id: user.organisationId,
      username: user.username,
      email: user.email,
      full_name: user.fullName,
      level: user.level,
      password_hash: user.passwordHash ?? null,
      status: user.status ?? 'pending_verification',
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Counts a failure; locks the account when the threshold is reached. Returns the lock end, if locked. */
export async function recordFailedLogin(db: Db, userId: string, threshold: number, lockFor: (lockouts: number) => number) {
  const row = await db
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
    .where('id', '=', userId)
    .returning(['failed_logins', 'lockouts'])
    .executeTakeFirstOrThrow()
  if (row.failed_logins < threshold) return undefined
  const lockedUntil = new Date(Date.now() + lockFor(row.lockouts))
  await db
    .updateTable('users')
    .set((eb) => ({ failed_logins: 0, lockouts: eb('lockouts', '+', 1), locked_until: lockedUntil }))
    .where('id', '=', userId)
    .execute()
  return lockedUntil
}

export async function recordSuccessfulLogin(db: Db, userId: string) {
  await db
    .updateTable('users')
    .set({ failed_logins: 0, lockouts: 0, locked_until: null, last_login_at: new Date() })
    .where('id', '=', userId)
    .execute()
}

export async function setPassword(db: Db, userId: string, passwordHash: string) {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, status: 'active', failed_logins: 0, locked_until: null, updated_at: new Date() })
    .where('id', '=', userId)
    .execute()
}

export async function insertOneTimeToken(db: Db, token: { hash: string; userId: string; purpose: OneTimeTokenPurpose; expiresAt: Date; email?: string }) {
  await db
    .insertInto('one_time_tokens')
    .values({ token_hash: token.hash, user_id: token.userId, purpose: token.purpose, expires_at: token.expiresAt, email: token.email ?? null })
    .execute()
}

/** Marks a live token used and returns its user, atomically: a token works once, even under races. */
export function consumeOneTimeToken(db: Db, hash: string, purposes: OneTimeTokenPurpose[]) {
  return db
    .updateTable('one_time_tokens')
    .set({ consumed_at: new Date() })
    .where('token_hash', '=', hash)
    .where('purpose', 'in', purposes)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', new Date())
    .returning(['user_id', 'purpose', 'email'])
    .executeTakeFirst()
}

export function findLiveOneTimeToken(db: Db, hash: string, purposes: OneTimeTokenPurpose[]) {
  return db
    .selectFrom('one_time_tokens')
    .select(['user_id', 'purpose', 'expires_at'])
    .where('token_hash', '=', hash)
    .where('purpose', 'in', purposes)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', new Date())
    .executeTakeFirst()
}

/** The mail row and its delivery job, in `db`'s transaction (src/mail/outbox.ts). */
export async function queueMail(db: Db, mail: MailToQueue): Promise<void> {
  await queueMailWithJob(db, mail)
}
