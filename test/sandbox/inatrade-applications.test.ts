import t from 'tap'
import { buildInatradeStub } from '../../src/sandbox/inatrade-stub.ts'
import { applicationBody, fixtureStore, SECRET, startCallbackReceiver, type Teardown } from './helpers.ts'

const APPLICATIONS = '/inatrade/v1/applications'

async function inatrade(t: Teardown) {
  // Scaled far down but long enough that the timetable does not move during these tests.
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale: 0.5, callbackSecret: SECRET })
  t.teardown(() => app.close())
  const receiver = await startCallbackReceiver(t)
  const post = (key: string | undefined, body: unknown) => app.inject({
    method: 'POST',
    url: APPLICATIONS,
    headers: key === undefined ? {} : { 'idempotency-key': key },
    payload: body as Record<string, unknown>,
  })
  return { app, post, body: (overrides?: Record<string, unknown>) => applicationBody(receiver.url, overrides) }
}

t.test('an application is accepted with 202 RECEIVED and can be read back', async (t) => {
  const { app, post, body } = await inatrade(t)
  const response = await post('key-accept', body())
  t.equal(response.statusCode, 202)
  const accepted = response.json()
  t.match(accepted, { inatradeId: /^[0-9a-f-]{36}$/, referenceNumber: 'INSW-2026-000001', status: 'RECEIVED' })
  t.ok(!Number.isNaN(Date.parse(accepted.receivedAt)))

  const read = await app.inject({ url: `${APPLICATIONS}/${accepted.inatradeId}` })
  t.equal(read.statusCode, 200)
  t.same(read.json(), {
    inatradeId: accepted.inatradeId,
    referenceNumber: 'INSW-2026-000001',
    status: 'RECEIVED',
    history: [{ status: 'RECEIVED', at: accepted.receivedAt }],
  })
})

t.test('the same key with the same body replays 200 with the same inatradeId', async (t) => {
  const { post, body } = await inatrade(t)
  const first = await post('key-replay', body())
  t.equal(first.statusCode, 202)
  // Same content, different key order: still the same body.
  const reordered = Object.fromEntries(Object.entries(body()).reverse())
  const second = await post('key-replay', reordered)
  t.equal(second.statusCode, 200)
  t.equal(second.headers['idempotent-replayed'], 'true')
  t.same(second.json(), first.json(), 'the original response, not a new application')
  const other = await post('key-other', body())
  t.equal(other.statusCode, 202)
  t.not(other.json().inatradeId, first.json().inatradeId, 'a new key is a new application')
})

t.test('the same key with a different body answers 409 IDEMPOTENCY_KEY_REUSED', async (t) => {
  const { post, body } = await inatrade(t)
  t.equal((await post('key-409', body())).statusCode, 202)
  const conflict = await post('key-409', body({ referenceNumber: 'INSW-2026-000002' }))
  t.equal(conflict.statusCode, 409)
  t.equal(conflict.json().error, 'IDEMPOTENCY_KEY_REUSED')
})

t.test('a missing Idempotency-Key answers 400 MISSING_IDEMPOTENCY_KEY', async (t) => {
  const { post, body } = await inatrade(t)
  for (const key of [undefined, '', '   ']) {
    const response = await post(key, body())
    t.equal(response.statusCode, 400, JSON.stringify(key))
    t.equal(response.json().error, 'MISSING_IDEMPOTENCY_KEY')
  }
})

t.test('an invalid application answers 400 INVALID_APPLICATION and is not remembered', async (t) => {
  const { app, post, body } = await inatrade(t)
  const invalid = await post('key-invalid', body({ nib: '123', callbackUrl: 'ftp://example.org/cb', applicant: { name: 'Budi' } }))
  t.equal(invalid.statusCode, 400)
  const error = invalid.json()
  t.equal(error.error, 'INVALID_APPLICATION')
  t.ok(error.problems.some((problem: string) => problem.startsWith('/nib')), 'names the bad NIB')
  t.ok(error.problems.some((problem: string) => problem.startsWith('/callbackUrl')), 'names the bad callback URL')
  t.ok(error.problems.some((problem: string) => problem.includes('nik')), 'names the missing NIK')

  const notJson = await app.inject({
    method: 'POST', url: APPLICATIONS, headers: { 'idempotency-key': 'key-json', 'content-type': 'application/json' }, payload: '{"nib":',
  })
  t.equal(notJson.statusCode, 400)
  t.equal(notJson.json().error, 'INVALID_APPLICATION')

  t.equal((await post('key-invalid', body())).statusCode, 202, 'a refused request does not consume its key')
})

t.test('an unknown application answers 404', async (t) => {
  const { app } = await inatrade(t)
  const response = await app.inject({ url: `${APPLICATIONS}/00000000-0000-4000-8000-000000000000` })
  t.equal(response.statusCode, 404)
  t.equal(response.json().error, 'APPLICATION_NOT_FOUND')
})
