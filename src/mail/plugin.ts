/**
 * Runs the mail outbox worker inside the gateway: a poll every few seconds, and at once when a
 * request queued mail (`app.mailOutbox.kick()`). Stopped, after the round in flight, on close.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SmtpSettings } from '../config.ts'
import { createSmtpMailer, sandboxMailer, type Mailer } from './mailer.ts'
import { deliverDueMail } from './outbox.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mailOutbox: {
      /** Deliver due mail now (after the round in flight, if any). */
      kick(): void
      /** One delivery round, awaited (tests, scripts). */
      flush(): Promise<void>
      readonly mailer: Mailer
    }
  }
}

export interface MailOutboxOptions {
  smtp?: SmtpSettings
  mailer?: Mailer
  /** Pause between polls (default 5 s). */
  pollMs?: number
}

async function mailOutboxPlugin(app: FastifyInstance, options: MailOutboxOptions): Promise<void> {
  const mailer = options.mailer ?? (options.smtp ? createSmtpMailer(options.smtp) : sandboxMailer)
  const pollMs = options.pollMs ?? 5000
  let running: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined
  let closed = false

  const round = async () => {
    try {
      await deliverDueMail(app.db, mailer, { log: (obj, msg) => app.log.warn(obj, msg) })
    } catch (error) {
      if (!closed) app.log.error({ err: error }, 'mail outbox round failed')
    }
  }
  const run = (): Promise<void> => {
    if (closed) return Promise.resolve()
    if (running) {
      again = true
      return running
    }
    running = round().finally(() => {
      running = undefined
      if (again && !closed) {
        again = false
        void run()
      }
    })
    return running
  }

  app.decorate('mailOutbox', {
    kick: () => void run(),
    flush: async () => {
      await running
      await run()
    },
    mailer,
  })
  app.addHook('onReady', async () => {
    timer = setInterval(() => void run(), pollMs)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    closed = true
    clearInterval(timer)
    await running
    await mailer.close()
  })
}

export default fp(mailOutboxPlugin, { name: 'mail-outbox', fastify: '5.x', dependencies: ['db'] })
