/**
 * Delivers the mail outbox through the job engine: registers the `mail.deliver` handler (see
 * outbox.ts). `app.mailOutbox.flush()` waits until every queued mail was delivered or is waiting
 * for a retry (tests, scripts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SmtpSettings } from '../config.ts'
import { QUEUES } from '../jobs/queues.ts'
import { countUnsettled } from '../jobs/store.ts'
import { createSmtpMailer, sandboxMailer, type Mailer } from './mailer.ts'
import { deliverMail, reopenMail, type MailDeliveryJob } from './outbox.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mailOutbox: {
      /** Resolves once no mail job is waiting to run now or running (a retry waiting for its backoff does not count). */
      flush(options?: { timeoutMs?: number }): Promise<void>
      readonly mailer: Mailer
    }
  }
}

export interface MailOutboxOptions {
  smtp?: SmtpSettings
  mailer?: Mailer
}

async function mailOutboxPlugin(app: FastifyInstance, options: MailOutboxOptions): Promise<void> {
  const mailer = options.mailer ?? (options.smtp ? createSmtpMailer(options.smtp) : sandboxMailer)
  const queue = QUEUES.mailDeliver.name

  app.jobs.work<MailDeliveryJob>(
    queue,
    async ({ mailId }, job) => {
      await deliverMail(app.db, mailer, mailId, job)
    },
    { onOperatorRetry: ({ mailId }, executor) => reopenMail(executor, mailId) },
  )

  app.decorate('mailOutbox', {
    async flush({ timeoutMs = 20_000 } = {}) {
      const deadline = Date.now() + timeoutMs
      while ((await countUnsettled(app.db, queue, { includeDeferred: false })) > 0) {
        if (Date.now() > deadline) throw new Error(`mail still queued after ${timeoutMs} ms`)
        await sleep(25)
      }
    },
    mailer,
  })
  app.addHook('onClose', async () => {
    // Hooks close last-registered first: stop the workers (waiting for deliveries in hand) before their mailer.
    await app.jobEngine.stop()
    await mailer.close()
  })
}

export default fp(mailOutboxPlugin, { name: 'mail-outbox', fastify: '5.x', dependencies: ['db', 'jobs'] })
