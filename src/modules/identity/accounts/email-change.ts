/**
 * Changing a user's email without handing the account over. An editor's new address is only
 * *pending*: it receives a confirmation link and nothing else (no reset, no other mail) until
 * that link is used; the current address keeps receiving mail, and is told of the change at once.
 * Confirming moves the pending address into `users.email` and marks it verified.
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../../db/schema.ts'
import { generateOneTimeToken } from './one-time-token.ts'
import { markEmailVerified } from './email-verification.ts'
import { insertOneTimeToken, queueMail } from './repository.ts'

type Trx = Transaction<Database>

/** Long enough for a person to find the mail, short enough that a stale change lapses. */
export const EMAIL_CHANGE_TTL_MS = 24 * 60 * 60 * 1000

/** Earlier confirmation links stop working: only the newest pending address can be confirmed. */
async function retireConfirmations(trx: Trx, userId: string) {
  await trx
    .updateTable('one_time_tokens')
    .set({ consumed_at: new Date() })
    .where('user_id', '=', userId)
    .where('purpose', '=', 'confirm_email_change')
    .where('consumed_at', 'is', null)
    .execute()
}

export async function startEmailChange(
  trx: Trx,
  user: { id: string; username: string; full_name: string; email: string },
  newEmail: string,
  context: { confirmUrl: (token: string) => string; changedBy: string },
) {
  await retireConfirmations(trx, user.id)
  const { token, hash } = generateOneTimeToken()
  await insertOneTimeToken(trx, { hash, userId: user.id, purpose: 'confirm_email_change', expiresAt: new Date(Date.now() + EMAIL_CHANGE_TTL_MS), email: newEmail })
  await trx.updateTable('users').set({ pending_email: newEmail, updated_at: new Date() }).where('id', '=', user.id).execute()
  await queueMail(trx, {
    to: newEmail,
    template: 'email-change-confirmation',
    subject: 'INSW: konfirmasi alamat email baru / confirm your new email address',
    text: [
      `Halo ${user.full_name},`,
      '',
      `Alamat ini dimasukkan sebagai email baru akun INSW ${user.username}. Konfirmasi melalui tautan berikut (berlaku 24 jam, satu kali pakai):`,
      `This address was entered as the new email of the INSW account ${user.username}. Confirm it here (valid for 24 hours, once):`,
      context.confirmUrl(token),
      '',
      'Sampai dikonfirmasi, email tetap dikirim ke alamat lama. Abaikan email ini jika Anda tidak mengenal akun tersebut.',
      'Until it is confirmed, mail keeps going to the old address. Ignore this email if you do not know the account.',
    ].join('\n'),
  })
  if (newEmail.toLowerCase() !== user.email.toLowerCase()) {
    await queueMail(trx, {
      to: user.email,
      template: 'email-change-notice',
      subject: 'INSW: permintaan perubahan email / your email is being changed',
      text: [
        `Halo ${user.full_name},`,
        '',
        `${context.changedBy} mengubah email akun INSW ${user.username} menjadi ${newEmail}. Perubahan berlaku setelah dikonfirmasi dari alamat baru; sampai saat itu semua email tetap dikirim ke alamat ini.`,
        `${context.changedBy} changed the email of the INSW account ${user.username} to ${newEmail}. It takes effect once confirmed from the new address; until then all mail keeps coming here.`,
        '',
        'Jika Anda tidak mengharapkan perubahan ini, hubungi administrator organisasi Anda atau layanan INSW.',
        'If you did not expect this change, contact your organisation\'s administrator or the INSW service desk.',
      ].join('\n'),
    })
  }
}

/** The editor set the email back to the current, verified address: the pending change is dropped. */
export async function cancelEmailChange(trx: Trx, userId: string) {
  await retireConfirmations(trx, userId)
  await trx.updateTable('users').set({ pending_email: null, updated_at: new Date() }).where('id', '=', userId).execute()
}

/**
 * Applies a confirmed change: the link's address must still be the pending one (a later change
 * retired the link anyway). Returns false when there is nothing to confirm.
 */
export async function applyEmailChange(trx: Trx, userId: string, confirmedEmail: string | null): Promise<boolean> {
  const user = await trx.selectFrom('users').select(['pending_email']).where('id', '=', userId).forUpdate().executeTakeFirst()
  if (!user?.pending_email || !confirmedEmail || user.pending_email.toLowerCase() !== confirmedEmail.toLowerCase()) return false
  await trx.updateTable('users').set({ email: user.pending_email, pending_email: null, updated_at: new Date() }).where('id', '=', userId).execute()
  await markEmailVerified(trx, userId)
  return true
}
