/**
 * The mail outbox on the job engine: sandbox delivery, a real SMTP conversation through
 * nodemailer, retries with back-off on failure (never lost), giving up after the last attempt
 * (dead letter), the row and its job written in one transaction, and no mail sent twice by
 * instances sharing the database.
 */
import { createServer, type Server } from 'node:net'
import t from 'tap'
import { QUEUES } from '../../src/jobs/queues.ts'
import { findDeadLetterCopy, listJobs } from '../../src/jobs/store.ts'
import { createSmtpMailer, sandboxMailer, type Mailer } from '../../src/mail/mailer.ts'
import { MAX_ATTEMPTS, queueMail } from '../../src/mail/outbox.ts'
import { setupTestContext } from '../helpers/app.ts'
import { drainQueue } from '../helpers/jobs.ts'
import { buildMailApp, switchableMailer } from '../helpers/mail.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
const mailer = switchableMailer()
// Three attempts, a second apart: the real policy (12 attempts over a day) is checked below.
const app = await buildMailApp(t, context, { mailer, mailPolicy: { retryLimit: 2, retryDelay: 1, retryDelayMax: 1 } })

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

const queue = (to: string) => queueMail(db, { to, subject: 'Subjek', text: 'Isi pesan', template: 'test' })
const row = (id: string) => db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

t.test('sandbox delivery marks mail as kept for the sandbox mailbox', async (t) => {
  mailer.use(sandboxMailer)
  const id = await queue('sandbox@outbox.test')
  await app.mailOutbox.flush()
  t.match(await row(id), { status: 'sandbox', attempts: 1 })
})

t.test('the mail row and its job are written in one transaction', async (t) => {
  await db
    .transaction()
    .execute(async (trx) => {
      await queueMail(trx, { to: 'rolled-back@outbox.test', subject: 'S', text: 'T', template: 'test' })
      throw new Error('the change that caused the mail failed')
    })
    .catch(() => {})
  t.equal((await db.selectFrom('mail_outbox').select('id').where('recipient', '=', 'rolled-back@outbox.test').execute()).length, 0, 'no row')
  const jobs = await listJobs(db, { queues: [QUEUES.mailDeliver.name], limit: 100 })
  const ids = new Set((await db.selectFrom('mail_outbox').select('id').execute()).map((mail) => mail.id))
  t.ok(jobs.every((job) => ids.has((job.data as { mailId: string }).mailId)), 'and no job without its row')
})

t.test('SMTP: nodemailer delivers to the configured server', async (t) => {
  const smtp = await fakeSmtpServer()
  t.teardown(() => smtp.server.close())
  const smtpMailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'INSW <noreply@insw.test>' })
  t.teardown(() => smtpMailer.close())
  mailer.use(smtpMailer)
  const id = await queue('smtp@outbox.test')
  await app.mailOutbox.flush()
  const stored = await row(id)
  t.match(stored, { status: 'sent', attempts: 1, last_error: null })
  t.ok(stored.sent_at)
  const message = smtp.messages.find((m) => m.includes('smtp@outbox.test'))
  t.ok(message, 'the server received it')
  t.match(message, /Subject: Subjek/)
  t.match(message, `Message-ID: <${id}@insw-gateway>`)
})

t.test('a failing server: retried with back-off, never lost; failed and dead-lettered after the last attempt', async (t) => {
  // Nothing listens on this port: every attempt fails.
  mailer.use(createSmtpMailer({ host: '127.0.0.1', port: 9, secure: false, from: 'INSW <noreply@insw.test>' }))
  const id = await queue('down@outbox.test')
  const started = Date.now()
  while ((await row(id)).attempts < 1 && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 50))
  const first = await row(id)
  t.match(first, { status: 'pending', attempts: 1 })
  t.ok(first.last_error, 'why it failed is kept')
  const [job] = (await listJobs(db, { queues: [QUEUES.mailDeliver.name], limit: 100 })).filter((j) => (j.data as { mailId: string }).mailId === id)
  t.match(job, { state: 'retry' }, 'its job waits for a retry')
  t.ok(job!.start_after.getTime() - job!.created_on.getTime() >= 900, 'after a back-off')

  await drainQueue(app, QUEUES.mailDeliver.name)
  t.match(await row(id), { status: 'failed', attempts: 3 }, 'given up after three attempts, but kept')
  t.ok(await findDeadLetterCopy(db, QUEUES.mailDeliver.deadLetter, job!.id), 'its job waits in the dead letter queue for an operator')
})

t.test('the real policy: twelve attempts, backoff from 30 s doubling to an hour, with jitter', async (t) => {
  t.equal(MAX_ATTEMPTS, 12)
  t.match(QUEUES.mailDeliver, { retryLimit: 11, retryDelay: 30, retryBackoff: true, retryDelayMax: 3600, deadLetter: 'mail.deliver.dead' })
})

t.test('instances sharing the database never send the same mail twice', async (t) => {
  const seen: string[] = []
  const recording: Mailer = { delivery: 'sandbox', async send(mail) { seen.push(mail.id) }, async close() {} }
  mailer.use(recording)
  const second = await buildMailApp(t, context, { mailer: recording, env: { JOB_CONCURRENCY: '3' } })
  const ids: string[] = []
  for (let i = 0; i < 10; i++) ids.push(await queue(`many${i}@outbox.test`))
  await app.mailOutbox.flush()
  await second.mailOutbox.flush()
  t.equal(new Set(seen).size, seen.length, 'no mail sent twice')
  t.same(seen.toSorted(), ids.toSorted(), 'all delivered')
})
