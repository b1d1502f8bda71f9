/** SMTP settings: unset means the sandbox mailbox; a URL or host/port/credentials mean real mail. */
import t from 'tap'
import { loadConfig } from '../../src/config.ts'

const base = { LOG_LEVEL: 'silent', PUBLIC_URL: 'https://gateway.example', SANDBOX: 'true' }

t.test('no SMTP settings: sandbox mailbox', async (t) => {
  t.equal(loadConfig(base).smtp, undefined)
})

t.test('SMTP_URL, or SMTP_HOST with port and credentials', async (t) => {
  t.same(loadConfig({ ...base, SMTP_URL: 'smtps://u:p@mail.example:465' }).smtp, { url: 'smtps://u:p@mail.example:465', from: 'INSW Gateway <noreply@gateway.example>' })
  t.same(loadConfig({ ...base, SMTP_HOST: 'mail.example', SMTP_USER: 'u', SMTP_PASS: 'p', SMTP_FROM: 'INSW <noreply@insw.example>' }).smtp, {
    host: 'mail.example',
    port: 587,
    secure: false,
    user: 'u',
    pass: 'p',
    from: 'INSW <noreply@insw.example>',
  })
  t.equal(loadConfig({ ...base, SMTP_HOST: 'mail.example', SMTP_PORT: '465', SMTP_SECURE: 'true' }).smtp?.secure, true)
})

t.test('bad SMTP settings stop the start with the variable named', async (t) => {
  t.throws(() => loadConfig({ ...base, SMTP_URL: 'http://mail.example' }), /SMTP_URL must use smtp: or smtps:/)
  t.throws(() => loadConfig({ ...base, SMTP_URL: 'smtp://a', SMTP_HOST: 'b' }), /SMTP_URL and SMTP_HOST are exclusive/)
  t.throws(() => loadConfig({ ...base, SMTP_HOST: 'mail.example', SMTP_USER: 'u' }), /SMTP_PASS is required/)
  t.throws(() => loadConfig({ ...base, SMTP_HOST: 'mail.example', SMTP_PORT: 'x' }), /SMTP_PORT/)
  t.throws(() => loadConfig({ ...base, SMTP_HOST: 'mail.example', SMTP_FROM: 'nobody' }), /SMTP_FROM/)
})
