/**
 * The mail outbox: sandbox delivery, a real SMTP conversation through nodemailer, retries with
 * back-off on failure (never lost), giving up after MAX_ATTEMPTS, and SKIP LOCKED claiming.
 */
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { createSmtpMailer, sandboxMailer, type Mailer } from '../../src/mail/mailer.ts'
import { backoffMs, deliverDueMail, MAX_ATTEMPTS } from '../../src/mail/outbox.ts'
import { queueMail } from '../../src/modules/identity/accounts/repository.ts'
import { setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db

/** Just enough SMTP to accept mail (no TLS, no auth): records each message's DATA. */
function fakeSmtpServer(): Promise<{ server: Server; port: number; messages: string[] }> {
  const messages: string[] = []
  const server = createServer((socket) => {
    let data: string | undefined
    let buffer = ''
    socket.write('220 fake.smtp ESMTP\r\n')
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1')
      let index
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index)
        buffer = buffer.slice(index + 2)
        if (data !== undefined) {
          if (line === '.') {
            messages.push(data)
            data = undefined
            socket.write('250 queued\r\n')
          } else data += `${line}\n`
          continue
        }
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 fake.smtp\r\n')
        else if (verb === 'DATA') {
          data = ''
          socket.write('354 go on\r\n')
        } else if (verb === 'QUIT') socket.end('221 bye\r\n')
        else socket.write('250 ok\r\n')
      }
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, messages })))
}

async function queue(to: string) {
  await queueMail(db, { to, subject: 'Subjek', text: 'Isi pesan', template: 'test' })
  return db.selectFrom('mail_outbox').select('id').where('recipient', '=', to).executeTakeFirstOrThrow()
}

t.test('sandbox delivery marks mail as kept for the sandbox mailbox', async (t) => {
  const { id } = await queue('sandbox@outbox.test')
  await deliverDueMail(db, sandboxMailer)
  t.match(await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), { status: 'sandbox', attempts: 1 })
})

t.test('SMTP: nodemailer delivers to the configured server', async (t) => {
  const smtp = await fakeSmtpServer()
  t.teardown(() => smtp.server.close())
  const mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'INSW <noreply@insw.test>' })
  t.teardown(() => mailer.close())
  const { id } = await queue('smtp@outbox.test')
  const round = await deliverDueMail(db, mailer)
  t.ok(round.delivered >= 1)
  const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(row, { status: 'sent', attempts: 1, last_error: null })
  t.ok(row.sent_at)
  const message = smtp.messages.find((m) => m.includes('smtp@outbox.test'))
  t.ok(message, 'the server received it')
  t.match(message, /Subject: Subjek/)
  t.match(message, `Message-ID: <${id}@insw-gateway>`)
})

t.test('a failing server: retried with back-off, never lost; failed after MAX_ATTEMPTS', async (t) => {
  // Nothing listens on this port: every attempt fails.
  const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, secure: false, from: 'INSW <noreply@insw.test>' })
  const { id } = await queue('down@outbox.test')
  const round = await deliverDueMail(db, mailer)
  t.ok(round.failed >= 1)
  let row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(row, { status: 'pending', attempts: 1 })
  t.ok(row.last_error, 'why it failed is kept')
  t.ok(row.next_attempt_at.getTime() > Date.now() + 10_000, 'the next attempt waits')
  await deliverDueMail(db, mailer)
  row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.equal(row.attempts, 1, 'not retried before it is due')

  let calls = 0
  const flaky: Mailer = {
    delivery: 'sent',
    async send() {
      calls++
      if (calls < MAX_ATTEMPTS + 5) throw new Error('421 try later')
    },
    async close() {},
  }
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    await db.updateTable('mail_outbox').set({ next_attempt_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute()
    await deliverDueMail(db, flaky)
  }
  row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  t.match(row, { status: 'failed', attempts: MAX_ATTEMPTS, last_error: '421 try later' }, 'given up but kept')
})

t.test('back-off grows and is capped', async (t) => {
  t.equal(backoffMs(1, () => 0.5), 30_000)
  t.equal(backoffMs(2, () => 0.5), 60_000)
  t.equal(backoffMs(20, () => 0.5), 3_600_000)
})

t.test('concurrent workers never take the same mail (SKIP LOCKED + lease)', async (t) => {
  for (let i = 0; i < 10; i++) await queue(`many${i}@outbox.test`)
  const seen: string[] = []
  const recording: Mailer = { delivery: 'sandbox', async send(mail) { seen.push(mail.id) }, async close() {} }
  await Promise.all([deliverDueMail(db, recording, { batch: 4 }), deliverDueMail(db, recording, { batch: 4 }), deliverDueMail(db, recording, { batch: 4 })])
  await deliverDueMail(db, recording)
  t.equal(new Set(seen).size, seen.length, 'no mail sent twice')
  const pending = await db.selectFrom('mail_outbox').select('id').where('recipient', 'like', 'many%').where('status', '=', 'pending').execute()
  t.equal(pending.length, 0, 'all delivered')
})
