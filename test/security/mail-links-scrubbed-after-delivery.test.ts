/**
 * Issue 8, item 14 (mail): a one-time link does not outlive delivery. After an SMTP server took
 * the mail (or delivery failed for good) the stored body keeps no token; the sandbox mailbox,
 * which is the delivery in sandbox mode, keeps the mail whole so testers can use its links.
 * Also item 14 (README): the README says what revocation does and how long an access token lives.
 */
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { sandboxMailer, type Mailer, type OutgoingMail } from '../../src/mail/mailer.ts'
import { SCRUBBED_TOKEN, scrubOneTimeLinks } from '../../src/mail/outbox.ts'
import { queueMail } from '../../src/modules/identity/accounts/repository.ts'
import { setupTestContext } from '../helpers/app.ts'
import { buildMailApp, switchableMailer } from '../helpers/mail.ts'

const context = await setupTestContext(t)
const db = context.database.handle.db
const mailer = switchableMailer()
// One attempt per mail: a failure is the last one.
const app = await buildMailApp(t, context, { mailer, mailPolicy: { retryLimit: 0 } })
const token = 'Zq3v9-k_Tb1xYw2uV8sR4pO6nM0lK7jH5gF3dS1aQ2w'
const text = `Set your password here:\nhttp://gateway.test/account/reset-password?token=${token}&lang=id\nThanks.`

/** Stands in for an SMTP server that accepted the mail; keeps what it was given. */
function acceptingSmtp(): Mailer & { sent: OutgoingMail[] } {
  const sent: OutgoingMail[] = []
  return { delivery: 'sent', sent, async send(mail) { sent.push(mail) }, async close() {} }
}

async function stored(to: string) {
  return db.selectFrom('mail_outbox').select(['status', 'body_text']).where('recipient', '=', to).executeTakeFirstOrThrow()
}

t.test('after SMTP delivery the stored body keeps the text, not the token', async (t) => {
  const smtp = acceptingSmtp()
  mailer.use(smtp)
  await queueMail(db, { to: 'smtp@sandbox.example', subject: 'Reset', text, template: 'password-reset' })
  await app.mailOutbox.flush()
  t.match(smtp.sent[0]?.text, token, 'the recipient got the real link')
  const row = await stored('smtp@sandbox.example')
  t.equal(row.status, 'sent')
  t.notMatch(row.body_text, token, 'the outbox no longer holds the token')
  t.match(row.body_text, `/account/reset-password?token=${SCRUBBED_TOKEN}&lang=id`)
  t.match(row.body_text, /Set your password here/)
})

t.test('the sandbox mailbox keeps its mail whole', async (t) => {
  mailer.use(sandboxMailer)
  await queueMail(db, { to: 'sandbox@sandbox.example', subject: 'Reset', text, template: 'password-reset' })
  await app.mailOutbox.flush()
  const row = await stored('sandbox@sandbox.example')
  t.equal(row.status, 'sandbox')
  t.match(row.body_text, token)
})

t.test('a mail given up on keeps no token either', async (t) => {
  const failing: Mailer = { delivery: 'sent', async send() { throw new Error('550 no such user') }, async close() {} }
  mailer.use(failing)
  await queueMail(db, { to: 'bounce@sandbox.example', subject: 'Reset', text, template: 'password-reset' })
  await app.mailOutbox.flush()
  const row = await stored('bounce@sandbox.example')
  t.equal(row.status, 'failed')
  t.notMatch(row.body_text, token)
})

t.test('every link parameter named token or code is scrubbed', async (t) => {
  t.equal(scrubOneTimeLinks('a https://x.test/p?code=123456 b https://x.test/q?lang=en&token=abc#f'), `a https://x.test/p?code=${SCRUBBED_TOKEN} b https://x.test/q?lang=en&token=${SCRUBBED_TOKEN}#f`)
  t.equal(scrubOneTimeLinks('no links here'), 'no links here')
})

t.test('the README does not promise that access tokens can be revoked', async (t) => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  t.notMatch(readme, /Tokens can be\s+revoked at `\/oidc\/token\/revocation`/, 'the old sentence is gone')
  t.match(readme, /access tokens? (are|is) not revocable/i, 'it says access tokens cannot be recalled')
  t.match(readme, /ACCESS_TOKEN_TTL/, 'and names their lifetime')
})
