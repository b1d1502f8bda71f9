/**
 * The mail outbox on the job engine. `mail_outbox` is the record of each mail (status, attempts,
 * last error; the sandbox mailbox reads it); the `mail.deliver` job (`{ mailId }`) is what
 * delivers it. `queueMail` writes both in the caller's transaction: a mail is queued together
 * with the change that causes it, or not at all. Retries (exponential backoff with jitter) and
 * the dead letter after MAX_ATTEMPTS are the queue's policy (src/jobs/queues.ts); an operator
 * retries a dead-lettered mail at `POST /v1/operator/jobs/{id}/retry`. Delivery is at least once:
 * a crash between the SMTP server's answer and the status update sends the mail again (the
 * Message-ID, the outbox id, lets a receiver de-duplicate it).
 *
 * One-time links do not outlive delivery: once an SMTP server accepted a mail (or it failed for
 * good), its stored body keeps the text but not the tokens (`scrubOneTimeLinks`), so a database
 * dump or an operator reading the outbox cannot use them. Sandbox mail is kept whole: the sandbox
 * mailbox *is* its delivery, testers read the links there, and every such token expires (30 min
 * to 72 h) and works once.
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'
import { processJobEngine } from '../jobs/engine.ts'
import { QUEUES } from '../jobs/queues.ts'
import type { JobContext, JobEngine } from '../jobs/types.ts'
import type { Mailer } from './mailer.ts'

/** Attempts before a mail is given up on (marked `failed`, its job dead-lettered). */
export const MAX_ATTEMPTS = QUEUES.mailDeliver.retryLimit + 1

export const SCRUBBED_TOKEN = '[removed-after-delivery]'

/** Replaces the value of every `token` (or `code`) query parameter in the mail's links. */
export function scrubOneTimeLinks(text: string): string {
  return text.replaceAll(/([?&](?:token|code)=)[^\s&#]+/g, `$1${SCRUBBED_TOKEN}`)
}

export interface MailToQueue {
  to: string
  subject: string
  text: string
  template: string
}

export interface MailDeliveryJob {
  mailId: string
}

/**
 * Writes the mail and its delivery job in `db`'s transaction (pass the transaction of the change
 * that causes the mail). `jobs` defaults to the engine of the app running in this process.
 */
export async function queueMail(db: Kysely<Database> | Transaction<Database>, mail: MailToQueue, jobs: Pick<JobEngine, 'send'> = processJobEngine()): Promise<string> {
  const { id } = await db
    .insertInto('mail_outbox')
    .values({ recipient: mail.to, subject: mail.subject, body_text: mail.text, template: mail.template })
    .returning('id')
    .executeTakeFirstOrThrow()
  await jobs.send<MailDeliveryJob>(db, QUEUES.mailDeliver.name, { mailId: id }, { singletonKey: id })
  return id
}

/**
 * One delivery attempt of `mail.deliver`. A mail no longer pending (delivered by an attempt whose
 * completion was lost, or given up on) is left alone. A failure is recorded on the row and thrown,
 * so the engine retries; on the last attempt the row becomes `failed` and loses its links.
 */
export async function deliverMail(db: Kysely<Database>, mailer: Mailer, mailId: string, job: Pick<JobContext, 'isLastAttempt'>): Promise<'delivered' | 'skipped'> {
  const mail = await db.selectFrom('mail_outbox').select(['id', 'recipient', 'subject', 'body_text', 'status']).where('id', '=', mailId).executeTakeFirst()
  if (!mail || mail.status !== 'pending') return 'skipped'
  try {
    await mailer.send({ id: mail.id, to: mail.recipient, subject: mail.subject, text: mail.body_text })
  } catch (error) {
    await db
      .updateTable('mail_outbox')
      .set({
        attempts: sql`attempts + 1`,
        status: job.isLastAttempt ? 'failed' : 'pending',
        // Given up: the links will never reach anyone; a retried mail needs fresh ones anyway.
        ...(job.isLastAttempt ? { body_text: scrubOneTimeLinks(mail.body_text) } : {}),
        last_error: String((error as Error)?.message ?? error).slice(0, 500),
      })
      .where('id', '=', mail.id)
      .execute()
    throw error
  }
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
  return 'delivered'
}

/** An operator retried a dead-lettered mail: it is pending again (its row records the attempts so far). */
export async function reopenMail(db: Kysely<Database> | Transaction<Database>, mailId: string): Promise<void> {
  await db.updateTable('mail_outbox').set({ status: 'pending' }).where('id', '=', mailId).where('status', '=', 'failed').execute()
}
