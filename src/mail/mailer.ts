/**
 * Where outbox mail goes: a real SMTP server (nodemailer) when configured, otherwise the sandbox
 * mailbox, which is the outbox table itself: the mail is simply marked as kept for the sandbox.
 */
import nodemailer from 'nodemailer'
import type { SmtpSettings } from '../config.ts'

export interface OutgoingMail {
  id: string
  to: string
  subject: string
  text: string
}

export interface Mailer {
  /** `sent`: accepted by a mail server; `sandbox`: kept for the sandbox mailbox. Throws when it failed. */
  readonly delivery: 'sent' | 'sandbox'
  send(mail: OutgoingMail): Promise<void>
  close(): Promise<void>
}

export const sandboxMailer: Mailer = {
  delivery: 'sandbox',
  async send() {},
  async close() {},
}

export function createSmtpMailer(settings: SmtpSettings): Mailer {
  const transport = nodemailer.createTransport(
    settings.url ?? {
      host: settings.host,
      port: settings.port,
      secure: settings.secure ?? false,
      auth: settings.user ? { user: settings.user, pass: settings.pass } : undefined,
      // A stuck server must not hold a delivery forever: the outbox retries later.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    },
  )
  return {
    delivery: 'sent',
    async send(mail) {
      await transport.sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        // The outbox id: a receiving server or a retry after a crash can be de-duplicated on it.
        messageId: `<${mail.id}@insw-gateway>`,
      })
    },
    async close() {
      transport.close()
    },
  }
}
