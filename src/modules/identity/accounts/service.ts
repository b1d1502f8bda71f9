/**
 * Accounts: checking a password with lockout (per username and source), and setting or resetting
 * a password through a mailed single-use token (which also ends every session of the account).
 * Answers never reveal whether a username exists.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../../db/schema.ts'
import { AppError } from '../../../errors/app-error.ts'
import { recordAudit } from '../../audit/repository.ts'
import { revokeAccountSessions } from '../../../identity/adapter.ts'
import { emailIsVerified, markEmailVerified } from './email-verification.ts'
import { hashOneTimeToken, generateOneTimeToken } from './one-time-token.ts'
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password-hash.ts'
import { passwordProblems } from './password-policy.ts'
import { loginSource, recordLoginFailure, recordLoginSuccess, sourceLockedUntil, usernameKey } from './login-throttle.ts'
import * as repo from './repository.ts'

export { LOCKOUT_THRESHOLD, lockDuration } from './login-throttle.ts'
export const RESET_TOKEN_TTL_MS = 30 * 60 * 1000

export type LoginResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'locked'; lockedUntil: Date }
  | { ok: false; reason: 'inactive' }

/**
 * Checks a password, with lockout per username and source (see login-throttle.ts for the design).
 * An unknown username, a wrong password and a locked source cost the same (one scrypt hash, one
 * counter write) and the caller answers them alike. Sign-in outcomes of known accounts go to the
 * audit log of their organisation (success, failure with its reason, lockout); unknown usernames
 * are not logged there.
 */
export async function authenticate(
  db: Kysely<Database>,
  username: string,
  password: string,
  context: { requestId?: string; /** Client IP address. */ ip?: string } = {},
): Promise<LoginResult> {
  const key = usernameKey(username)
  const source = loginSource(context.ip)
  const [user, lockedUntil] = await Promise.all([repo.findUserByUsername(db, key), sourceLockedUntil(db, key, source)])
  const audit = (action: string, details: Record<string, unknown>, actor: 'user' | 'anonymous' = 'anonymous') =>
    user
      ? recordAudit(db, {
          organisationId: user.organisation_id,
          actor: actor === 'user' ? { kind: user.level === 'platform_operator' ? 'operator' : 'user', id: user.id } : { kind: 'anonymous', id: null },
          action,
          targetType: 'user',
          targetId: user.id,
          after: details,
          requestId: context.requestId,
        })
      : undefined
  if (lockedUntil) {
    // Hashed all the same: a locked source must not answer faster than a wrong password.
    await verifyAgainstDummy(password)
    await audit('login.failed', { reason: 'locked', lockedUntil: lockedUntil.toISOString() })
    return { ok: false, reason: 'locked', lockedUntil }
  }
  const matches = user?.password_hash ? await verifyPassword(password, user.password_hash) : await verifyAgainstDummy(password)
  if (!user || !matches) {
    const newLock = await recordLoginFailure(db, key, source)
    await audit('login.failed', { reason: 'invalid_credentials' })
    if (newLock) await audit('login.locked_out', { lockedUntil: newLock.toISOString() })
    return { ok: false, reason: 'invalid_credentials' }
  }
  // Checked after the password so that a wrong password says nothing about the account's state.
  if (user.status !== 'active') {
    await audit('login.failed', { reason: 'inactive', status: user.status })
    return { ok: false, reason: 'inactive' }
  }
  await Promise.all([repo.recordSuccessfulLogin(db, user.id), recordLoginSuccess(db, key, source)])
  await audit('login.succeeded', { method: 'password' }, 'user')
  return { ok: true, userId: user.id }
}

export function assertAcceptablePassword(password: string, pointer = '/password'): void {
  const problem = passwordProblems(password)
  if (!problem) return
  throw new AppError('VALIDATION_FAILED', {
    errors: [{ pointer, in: 'body', detail: typeof problem === 'string' ? problem : problem.en, reason: 'password_policy' }],
    detail: problem,
  })
}

/**
 * Forgot password: when the email and username belong to the same account that is not disabled,
 * and that email is verified, mail a reset link (never to an unverified or pending address).
 * Always returns quietly, so the form cannot be used to discover accounts, and it does the same
 * work in the request path either way: one lookup, then the mail is written after the answer
 * (`queued`), so a match takes no longer than a mismatch. The caller must not await `queued`
 * before answering; it should log its failure.
 */
export async function requestPasswordReset(
  db: Kysely<Database>,
  input: { username: string; email: string; resetUrl: (token: string) => string },
): Promise<{ queued: Promise<void> }> {
  const user = await repo.findUserWithVerifiedEmail(db, input.username.trim())
  const matches =
    user !== undefined &&
    user.status !== 'disabled' &&
    user.email.toLowerCase() === input.email.trim().toLowerCase() &&
    emailIsVerified(user.email, user.verified_email)
  // Both paths schedule the same deferred step; only its body differs, after the answer.
  const queued = new Promise<void>((resolve) => setImmediate(resolve)).then(() => (matches ? queueResetMail(db, user, input.resetUrl) : undefined))
  return { queued }
}

async function queueResetMail(db: Kysely<Database>, user: { id: string; email: string; full_name: string; username: string }, resetUrl: (token: string) => string) {
  const { token, hash } = generateOneTimeToken()
  await db.transaction().execute(async (trx) => {
    await repo.insertOneTimeToken(trx, { hash, userId: user.id, purpose: 'reset_password', expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_MS), email: user.email })
    await repo.queueMail(trx, {
      to: user.email,
      template: 'password-reset',
      subject: 'INSW: atur ulang kata sandi / reset your password',
      text: [
        `Halo ${user.full_name},`,
        '',
        `Untuk mengatur ulang kata sandi akun ${user.username}, buka tautan berikut (berlaku 30 menit, satu kali pakai):`,
        `To reset the password of ${user.username}, open this link (valid for 30 minutes, once):`,
        resetUrl(token),
        '',
        'Abaikan email ini jika Anda tidak memintanya. / Ignore this email if you did not ask for it.',
      ].join('\n'),
    })
  })
}

/** Sets a password with a mailed token (first password or reset). The token works once. */
export async function setPasswordWithToken(db: Kysely<Database>, token: string, password: string, context: { requestId?: string } = {}): Promise<string> {
  assertAcceptablePassword(password)
  const passwordHash = await hashPassword(password)
  return db.transaction().execute(async (trx) => {
    const used = await repo.consumeOneTimeToken(trx, hashOneTimeToken(token), ['reset_password', 'set_password'])
    if (!used) {
      throw new AppError('VALIDATION_FAILED', {
        detail: { en: 'This link is invalid, expired or already used.', id: 'Tautan ini tidak valid, kedaluwarsa, atau sudah dipakai.' },
        errors: [{ pointer: '/token', in: 'body', detail: 'invalid, expired or already used', reason: 'token' }],
      })
    }
    await repo.setPassword(trx, used.user_id, passwordHash)
    // The link arrived by email: using it proves the address.
    await markEmailVerified(trx, used.user_id)
    // Whoever held the old password (or a session made with it) is signed out everywhere.
    const revoked = await revokeAccountSessions(trx, used.user_id)
    const user = await repo.findUserById(trx, used.user_id)
    await recordAudit(trx, {
      organisationId: user?.organisation_id ?? null,
      actor: { kind: user?.level === 'platform_operator' ? 'operator' : 'user', id: used.user_id },
      action: used.purpose === 'set_password' ? 'account.password_set' : 'account.password_reset',
      targetType: 'user',
      targetId: used.user_id,
      after: { sessionsRevoked: revoked },
      requestId: context.requestId,
    })
    return used.user_id
  })
}
