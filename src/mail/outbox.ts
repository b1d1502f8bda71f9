/**
 * The mail outbox worker. Mail is written to `mail_outbox` in the same transaction as the change
 * that causes it; this worker delivers it. Each round claims due rows with `FOR UPDATE SKIP LOCKED`
 * (so instances sharing the database never take the same mail) and leases them for a while by
 * moving `next_attempt_at`, then sends outside the transaction. A crash mid-send leaves the lease
 * to expire and the mail is sent again: at-least-once, never lost. Failures back off exponentially;
 * after MAX_ATTEMPTS the mail is marked `failed` (kept, for an operator to requeue).
 *
 * One-time links do not outlive delivery: once an SMTP server accepted a mail (or it failed for
 * good), its stored body keeps the text but not the tokens (`scrubOneTimeLinks`), so a database
 * dump or an operator reading the outbox cannot use them. Sandbox mail is kept whole: the sandbox
 * mailbox *is* its delivery, testers read the links there, and every such token expires (30 min
 * to 72 h) and works once.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import type { Mailer } from './mailer.ts'

export const MAX_ATTEMPTS = 12
const LEASE_MS = 5 * 60 * 1000
const BASE_BACKOFF_MS = 30 * 1000
const MAX_BACKOFF_MS = 60 * 60 * 1000

/** 30 s, 1 min, 2 min… up to an hour, with ±20 % jitter so instances don't retry in lockstep. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS)
  return Math.round(base * (0.8 + 0.4 * random()))
}

export const SCRUBBED_TOKEN = '[removed-after-delivery]'

/** Replaces the value of every `token` (or `code`) query parameter in the mail's links. */
export function scrubOneTimeLinks(text: string): string {
  return text.replaceAll(/([?&](?:token|code)=)[^\s&#]+/g, `$1${SCRUBBED_TOKEN}`)
}

export interface DeliveryRound {
  delivered: number
  failed: number
}

/** Claims and delivers up to `batch` due mails. */
export async function deliverDueMail(db: Kysely<Database>, mailer: Mailer, options: { batch?: number; log?: (obj: Record<string, unknown>, msg: string) => void } = {}): Promise<DeliveryRound> {
  const leaseUntil = new Date(Date.now() + LEASE_MS)
  const claimed = await db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('mail_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', new Date())
      .orderBy('next_attempt_at')
      .limit(options.batch ?? 20)
      .forUpdate()
      .skipLocked()
      .execute()
    if (due.length === 0) return []
    return trx
      .updateTable('mail_outbox')
      .set({ next_attempt_at: leaseUntil })
      .where('id', 'in', due.map((row) => row.id))
      .returning(['id', 'recipient', 'subject', 'body_text', 'attempts'])
      .execute()
  })
  const round = { delivered: 0, failed: 0 }
  for (const mail of claimed) {
    try {
      await mailer.send({ id: mail.id, to: mail.recipient, subject: mail.subject, text: mail.body_text })
      await db
        .updateTable('mail_outbox')
        .set({
          status: mailer.delivery,
          sent_at: new Date(),
          attempts: sql`attempts + 1`,
          last_error: null,
          ...(mailer.delivery === 'sent' ? { body_text: scrubOneTimeLinks(mail.body_text) } : {}),
        })
        .where('id', '=', mail.id)
        .execute()
      round.delivered++
    } catch (error) {
      const attempts = mail.attempts + 1
      const giveUp = attempts >= MAX_ATTEMPTS
      await db
        .updateTable('mail_outbox')
        .set({
          attempts,
          status: giveUp ? 'failed' : 'pending',
          // Given up: the links will never reach anyone; a requeued mail needs fresh ones anyway.
          ...(giveUp ? { body_text: scrubOneTimeLinks(mail.body_text) } : {}),
          next_attempt_at: new Date(Date.now() + backoffMs(attempts)),
          last_error: String((error as Error)?.message ?? error).slice(0, 500),
        })
        .where('id', '=', mail.id)
        .execute()
      round.failed++
      options.log?.({ mailId: mail.id, attempts, giveUp, err: error }, 'mail delivery failed')
    }
  }
  return round
}
