/**
 * Issue 8, item 5: generated usernames cannot be squatted. People may not choose the generated
 * shapes (`USER.YYYYMMDD.NN.NNNNN`, `OPERATOR.…`), and allocation steps over a name taken anyway
 * (one chosen before the rule) instead of failing every approval and test organisation.
 */
import t from 'tap'
import { formatUsername, isGeneratedShape, jakartaDate } from '../../src/modules/identity/accounts/username.ts'
import { setupTestContext, startListeningApp, testConfig } from '../helpers/app.ts'
import { api, createGroup } from '../helpers/orgs.ts'
import { userForm } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'
import { formFor, IDENTITIES, minimalPdf, operatorToken, submit } from '../registration/helpers.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const db = context.database.handle.db
const minter = tokenMinter(app, testConfig({ PUBLIC_URL: url }))

const first = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })).json()
const superAdmin = minter.forUser(first.superAdmin.userId, { orgId: first.organisation.id })
const groupId = await createGroup(app, superAdmin, first.organisation.id, { level: 'non_admin', name: 'Staff', rights: [] })

/** The next names the counter will hand out today, taken by hand (as a squatter did before the rule). */
async function squatNext(prefix: string, count: number) {
  const day = jakartaDate()
  const counter = await db.selectFrom('username_counters').select('last_value').where('day', '=', day).executeTakeFirst()
  const names = Array.from({ length: count }, (_, index) => formatUsername(prefix, day, (counter?.last_value ?? 0) + index + 1))
  for (const name of names) {
    await db
      .insertInto('users')
      .values({ organisation_id: first.organisation.id, username: name.toLowerCase(), email: `${name}@squat.example`, full_name: 'Squatter', level: 'non_admin', status: 'active' })
      .execute()
  }
  return names
}

t.test('the generated shapes are refused as chosen usernames, in any case', async (t) => {
  for (const username of ['USER.20261202.01.00002', 'user.20261202.01.00002', 'OPERATOR.20261202.01.00001', 'Something.20301231.07.12345']) {
    const response = await api(app, superAdmin, 'POST', `/v1/orgs/${first.organisation.id}/users`, userForm('non_admin', groupId, { username }))
    t.equal(response.statusCode, 422, `${username}: ${response.body}`)
    t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/username', reason: 'username_reserved' }] })
  }
  const ordinary = await api(app, superAdmin, 'POST', `/v1/orgs/${first.organisation.id}/users`, userForm('non_admin', groupId, { username: 'user.siti' }))
  t.equal(ordinary.statusCode, 201, 'ordinary names with dots still work')
  t.ok(isGeneratedShape('USER.20261202.100.00001'), 'a third-digit series is the same shape')
  t.notOk(isGeneratedShape('user.2026'))
})

t.test('a test organisation steps over squatted names (was a 500)', async (t) => {
  const squatted = await squatNext('USER', 2)
  const response = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000010' } })
  t.equal(response.statusCode, 201, response.body)
  t.notOk(squatted.includes(response.json().superAdmin.username), `got ${response.json().superAdmin.username}, not a squatted name`)
})

t.test('a test operator steps over a squatted OPERATOR name', async (t) => {
  const [squatted] = await squatNext('OPERATOR', 1)
  const response = await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })
  t.equal(response.statusCode, 201, response.body)
  t.not(response.json().username, squatted)
})

t.test('approving a registration steps over a squatted name (was a wrong "NIB already exists" 409)', async (t) => {
  const operator = await operatorToken(app, url)
  const submitted = await submit(app, { form: formFor(IDENTITIES.bumn), file: { content: minimalPdf() } })
  t.equal(submitted.statusCode, 202, submitted.body)
  const squatted = await squatNext('USER', 1)
  const approved = await app.inject({
    method: 'POST',
    url: `/v1/operator/registrations/${submitted.json().trackingNumber}/approve`,
    headers: { authorization: `Bearer ${operator.token}` },
    payload: {},
  })
  t.equal(approved.statusCode, 200, approved.body)
  t.notOk(squatted.includes(approved.json().superAdmin.username))
})
