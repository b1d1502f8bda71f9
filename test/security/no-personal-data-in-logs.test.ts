/**
 * Issue 8, item 7: no personal data in logs, ever. A run of requests carrying every kind of
 * secret and identifier the gateway handles (client secrets, bearer tokens, passwords, NIK, NPWP,
 * e-mail addresses, mobile numbers), then the same flows with the database forced to fail on
 * them: PGlite's errors carry the statement's parameters (`err.params`), PostgreSQL's a
 * `detail` ("Failing row contains (…)") with every value of the row. The whole captured log is
 * then searched for each value, and for anything shaped like one.
 */
import { sql } from 'kysely'
import t from 'tap'
import { buildTestApp, captureLogs, setupTestContext } from '../helpers/app.ts'
import { formFor, IDENTITIES, minimalPdf, submit } from '../registration/helpers.ts'

const context = await setupTestContext(t)
const logs = captureLogs()
const app = await buildTestApp(t, context, { logs })
await app.ready()
const db = context.database.handle.db

const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
const organisation = created.json() as {
  organisation: { id: string }
  superAdmin: { username: string; password: string; email: string }
  clients: { clientId: string; clientSecret: string }[]
}
const client = organisation.clients[0]!
const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`
const tokenResponse = await app.inject({
  method: 'POST',
  url: '/oidc/token',
  headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
  payload: 'grant_type=client_credentials&scope=org%3Aread',
})
if (tokenResponse.statusCode !== 200) throw new Error(`no token: ${tokenResponse.body}`)
const accessToken = tokenResponse.json().access_token as string

const operatorEmail = 'operator.rahasia@instansi.example'
// Not the test organisation's NIB: a registration for that one would be refused as a duplicate before any insert.
const applicant = IDENTITIES.exporter16
const applicantEmail = `${applicant.nib}@sandbox.test`
const mobile = '81234567890'

/** Every value that must never appear in the log. */
const SECRETS: Record<string, string> = {
  'client secret': client.clientSecret,
  'access token': accessToken,
  'access token signature': accessToken.split('.')[2]!,
  'super admin password': organisation.superAdmin.password,
  'super admin e-mail': organisation.superAdmin.email,
  'operator e-mail': operatorEmail,
  'applicant NIK': applicant.nik,
  'applicant NPWP': applicant.npwp,
  'formatted NPWP': '01.000.000.0-001.000',
  'test organisation\'s NPWP': IDENTITIES.approved.npwp,
  'second organisation\'s NPWP': IDENTITIES.bumn.npwp,
  'applicant e-mail': applicantEmail,
  'mobile number': mobile,
}

t.test('flows carrying secrets and identifiers, with the database working and then failing', async (t) => {
  const statuses: Record<string, number> = {}
  const record = async (name: string, response: Promise<{ statusCode: number }>) => {
    statuses[name] = (await response).statusCode
  }
  await record('me', app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${accessToken}` } }))
  await record('mailbox', app.inject({ method: 'GET', url: `/v1/sandbox/mailbox?to=${encodeURIComponent(organisation.superAdmin.email)}` }))
  await record('sms', app.inject({ method: 'GET', url: `/v1/sandbox/sms?to=%2B62${mobile}` }))
  await record('identifiers in a query', app.inject({
    method: 'GET',
    url: `/v1/orgs/${organisation.organisation.id}/users?nik=${applicant.nik}&npwp=01.000.000.0-001.000&q=${encodeURIComponent(applicantEmail)}`,
    headers: { authorization: `Bearer ${accessToken}` },
  }))
  await record('forgot password', app.inject({
    method: 'POST',
    url: '/account/forgot-password',
    headers: { origin: 'http://gateway.test', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: organisation.superAdmin.email, username: organisation.superAdmin.username }).toString(),
  }))

  // The database refuses every new row: the errors carry the rows' values.
  for (const table of ['users', 'registrations', 'organisations']) {
    await sql`alter table ${sql.table(table)} add constraint pii_probe_refuse check (false) not valid`.execute(db)
  }
  t.teardown(async () => {
    for (const table of ['users', 'registrations', 'organisations']) {
      await sql`alter table ${sql.table(table)} drop constraint if exists pii_probe_refuse`.execute(db)
    }
  })
  await record('operator insert fails', app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: { fullName: 'Operator Rahasia', email: operatorEmail } }))
  await record('registration insert fails', submit(app, { form: formFor(applicant, { businessTypes: ['exporter'] }), file: { content: minimalPdf() } }))
  await record('organisation insert fails', app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: IDENTITIES.bumn.nib } }))

  // And then cannot even read the users: a look-up by e-mail and username fails.
  await sql`alter table users rename column email to email_gone`.execute(db)
  t.teardown(() => sql`alter table users rename column email_gone to email`.execute(db))
  await record('forgot password, users unreadable', app.inject({
    method: 'POST',
    url: '/account/forgot-password',
    headers: { origin: 'http://gateway.test', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: organisation.superAdmin.email, username: organisation.superAdmin.username }).toString(),
  }))

  t.match(statuses, { me: 200, mailbox: 200, sms: 200 }, 'the working flows answered')
  for (const name of ['operator insert fails', 'registration insert fails', 'organisation insert fails', 'forgot password, users unreadable']) {
    t.equal(statuses[name], 500, `${name}: a server fault, so an error is logged`)
  }
  const failures = logs.lines().filter((line) => line.msg === 'request failed')
  t.ok(failures.length >= 4, `the forced database errors were logged (${failures.length})`)
  t.ok(failures.every((line) => typeof (line.err as { message?: unknown } | undefined)?.message === 'string'), 'each with its error message')

  const text = logs.text()
  for (const [name, value] of Object.entries(SECRETS)) t.notOk(text.includes(value), `the ${name} is not in the log`)
  t.notMatch(text, /\d{15}/, 'no NIK- or NPWP-shaped digit run')
  t.notMatch(text, /\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}/, 'no formatted NPWP')
  t.notMatch(text, /[\w.+-]+@[\w-]+\.[\w.]+/, 'no e-mail address')
  t.notMatch(text, /scrypt\$/, 'no password hash')
  t.notMatch(text, /"params"|Failing row contains/, 'no statement parameters, no failing row')
})
