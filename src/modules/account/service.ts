/**
 * Activation after approval (verify the email, set the password, both by single-use, expiring
 * tokens from the approval mail) and the first-login completion: notification channels and a
 * mobile number verified by a one-time code (SMS outbox; 5 minutes; 5 attempts).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { applyEmailChange } from '../identity/accounts/email-change.ts'
import { emailIsVerified, markEmailVerified } from '../identity/accounts/email-verification.ts'
import { hashOneTimeToken } from '../identity/accounts/one-time-token.ts'
import { consumeOneTimeToken } from '../identity/accounts/repository.ts'
import { setPasswordWithToken } from '../identity/accounts/service.ts'
import { normaliseMobile } from '../registration/checks/shape.ts'
import type { OneTimeCodeLimits } from '../../config.ts'
import { assertOneTimeCodeBudget } from './otp-budget.ts'
import type { CompleteAccount } from './schemas.ts'

export const OTP_TTL_MS = 5 * 60 * 1000
export const OTP_MAX_ATTEMPTS = 5

const badLink = () =>
  new AppError('VALIDATION_FAILED', {
    detail: { en: 'This link is invalid, expired or already used.', id: 'Tautan ini tidak valid, kedaluwarsa, atau sudah dipakai.' },
    errors: [{ pointer: '/token', in: 'body', detail: 'invalid, expired or already used', reason: 'token' }],
  })

async function activationOf(db: Kysely<Database>, userId: string) {
  const row = await db
    .selectFrom('users')
    .leftJoin('account_contacts', 'account_contacts.user_id', 'users.id')
    .select(['users.username', 'users.status', 'users.email', 'account_contacts.verified_email'])
    .where('users.id', '=', userId)
    .executeTakeFirstOrThrow()
  return { username: row.username, status: row.status, emailVerified: emailIsVerified(row.email, row.verified_email) }
}

/**
 * The verify-email link: from the approval mail (proves the address), or from an email change
 * (confirms the pending address, which then becomes the user's email). `purpose` says which.
 */
export async function confirmEmailLink(db: Kysely<Database>, token: string, context: { requestId?: string } = {}) {
  const used = await db.transaction().execute(async (trx) => {
    const used = await consumeOneTimeToken(trx, hashOneTimeToken(token), ['verify_email', 'confirm_email_change'])
    if (!used) throw badLink()
    if (used.purpose === 'confirm_email_change') {
      const before = await trx.selectFrom('users').select(['email', 'organisation_id']).where('id', '=', used.user_id).executeTakeFirstOrThrow()
      if (!(await applyEmailChange(trx, used.user_id, used.email))) throw badLink()
      await recordAudit(trx, {
        organisationId: before.organisation_id,
        actor: { kind: 'user', id: used.user_id },
        action: 'user.email_changed',
        targetType: 'user',
        targetId: used.user_id,
        before: { email: before.email },
        after: { email: used.email },
        requestId: context.requestId,
      })
    } else {
      await markEmailVerified(trx, used.user_id)
    }
    return used
  })
  return { activation: await activationOf(db, used.user_id), purpose: used.purpose }
}

export async function verifyEmail(db: Kysely<Database>, token: string, context: { requestId?: string } = {}) {
  return (await confirmEmailLink(db, token, context)).activation
}

/** The set-password link also arrived by email: using it proves the address as well (setPasswordWithToken records it). */
export async function setPassword(db: Kysely<Database>, token: string, password: string) {
  const userId = await setPasswordWithToken(db, token, password)
  return activationOf(db, userId)
}

async function currentUser(db: Kysely<Database>, principal: Principal) {
  const user =
    principal.kind === 'user' ? await db.selectFrom('users').select(['id', 'status']).where('id', '=', principal.subject).executeTakeFirst() : undefined
  if (!user || user.status !== 'active') {
    throw new AppError('FORBIDDEN', { detail: { en: 'Only people signed in to their own account can complete it.', id: 'Hanya pengguna yang masuk ke akunnya sendiri yang dapat melengkapinya.' } })
  }
  return user
}

function codeHash(verificationId: string, code: string): string {
  return createHash('sha256').update(`${verificationId}:${code}`).digest('hex')
}

export async function completionOf(db: Kysely<Database>, userId: string) {
  const row = await db.selectFrom('account_contacts').selectAll().where('user_id', '=', userId).executeTakeFirst()
  const user = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst()
  return {
    emailVerified: Boolean(user && emailIsVerified(user.email, row?.verified_email)),
    notificationChannels: row?.notification_channels ?? [],
    mobile: row?.mobile ?? null,
    mobileVerified: Boolean(row?.mobile_verified_at),
    completed: Boolean(row?.completed_at),
  }
}

export async function readCompletion(db: Kysely<Database>, principal: Principal) {
  const user = await currentUser(db, principal)
  return completionOf(db, user.id)
}

/**
 * Saves the channels and sends a code to the mobile number (a new number must be verified again).
 * Within the resend and per-number limits (otp-budget.ts); over them nothing is saved or sent.
 */
export async function startCompletion(db: Kysely<Database>, principal: Principal, input: CompleteAccount, limits: OneTimeCodeLimits) {
  const user = await currentUser(db, principal)
  const mobile = normaliseMobile(input.mobile)
  if (!mobile) {
    throw new AppError('VALIDATION_FAILED', {
      errors: [{ pointer: '/mobile', in: 'body', detail: 'must be an Indonesian mobile number (08…, 628… or +628…)', reason: 'mobile_format' }],
    })
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  const expiresAt = new Date(Date.now() + OTP_TTL_MS)
  await db.transaction().execute(async (trx) => {
    await assertOneTimeCodeBudget(trx, user.id, mobile, limits)
    const existing = await trx.selectFrom('account_contacts').select(['mobile', 'mobile_verified_at']).where('user_id', '=', user.id).executeTakeFirst()
    const keepVerified = existing?.mobile === mobile ? (existing.mobile_verified_at ?? null) : null
    await trx
      .insertInto('account_contacts')
      .values({ user_id: user.id, mobile, notification_channels: input.notificationChannels })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ mobile, notification_channels: input.notificationChannels, mobile_verified_at: keepVerified, completed_at: null, updated_at: new Date() }),
      )
      .execute()
    // Earlier codes stop working: only the newest one counts.
    await trx.updateTable('mobile_verifications').set({ consumed_at: new Date() }).where('user_id', '=', user.id).where('consumed_at', 'is', null).execute()
    const verification = await trx.insertInto('mobile_verifications').values({ user_id: user.id, mobile, code_hash: 'pending', expires_at: expiresAt }).returning('id').executeTakeFirstOrThrow()
    await trx.updateTable('mobile_verifications').set({ code_hash: codeHash(verification.id, code) }).where('id', '=', verification.id).execute()
    await trx
      .insertInto('sms_outbox')
      .values({ recipient: mobile, template: 'mobile-otp', body_text: `Kode verifikasi INSW: ${code}. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun. / INSW verification code, valid 5 minutes.` })
      .execute()
  })
  return { ...(await completionOf(db, user.id)), codeExpiresAt: expiresAt.toISOString() }
}

export async function verifyMobile(db: Kysely<Database>, principal: Principal, code: string) {
  const user = await currentUser(db, principal)
  const wrong = (detail: { en: string; id: string }, reason: string) =>
    new AppError('VALIDATION_FAILED', { detail, errors: [{ pointer: '/code', in: 'body', detail: detail.en, reason }] })
  return db.transaction().execute(async (trx) => {
    const verification = await trx
      .selectFrom('mobile_verifications')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('consumed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .forUpdate()
      .executeTakeFirst()
    if (!verification || verification.expires_at <= new Date()) {
      throw wrong({ en: 'No valid code: ask for a new one.', id: 'Tidak ada kode yang berlaku: minta kode baru.' }, 'otp_expired')
    }
    if (verification.attempts >= OTP_MAX_ATTEMPTS) {
      throw wrong({ en: 'Too many wrong codes: ask for a new one.', id: 'Terlalu banyak kode salah: minta kode baru.' }, 'otp_attempts')
    }
    const matches = timingSafeEqual(Buffer.from(codeHash(verification.id, code), 'hex'), Buffer.from(verification.code_hash, 'hex'))
    if (!matches) {
      await trx.updateTable('mobile_verifications').set({ attempts: verification.attempts + 1 }).where('id', '=', verification.id).execute()
      const left = OTP_MAX_ATTEMPTS - verification.attempts - 1
      return { wrong: left } as const
    }
    const now = new Date()
    await trx.updateTable('mobile_verifications').set({ consumed_at: now }).where('id', '=', verification.id).execute()
    await trx
      .updateTable('account_contacts')
      .set({ mobile: verification.mobile, mobile_verified_at: now, completed_at: now, updated_at: now })
      .where('user_id', '=', user.id)
      .execute()
    return { wrong: undefined }
  }).then(async (result) => {
    // The failed attempt is committed before answering, so attempts really are limited.
    if (result.wrong !== undefined) {
      throw wrong({ en: `Wrong code; ${result.wrong} attempt(s) left.`, id: `Kode salah; sisa ${result.wrong} kali percobaan.` }, 'otp_mismatch')
    }
    return completionOf(db, user.id)
  })
}
