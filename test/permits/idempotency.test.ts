/**
 * Idempotency-Key (Stripe's semantics) and clientReference uniqueness: a replay answers the first
 * answer byte for byte, another body with the key is 422, a retry while the first is in flight
 * is 409 with Retry-After, keys are per organisation, a failure frees its key, expired keys are
 * swept; a second submission of a clientReference without a key is 409 naming the first.
 */
import t from 'tap'
import { canonicalSha256 } from '../../src/identity/receipts.ts'
import { claimIdempotencyKey, IDEMPOTENCY_TTL_MS, sweepIdempotencyKeys } from '../../src/modules/permits/idempotency.ts'
import { api, clientToken, createOrg, sandboxControl, setupPermitTest, sugarImport, sugarLine } from './helpers.ts'

const { context, app, db, minter, jobs } = await setupPermitTest(t)
const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000006')
const writerA = clientToken(minter, orgA, 'inhouse', 'permits:read permits:write')
const writerB = clientToken(minter, orgB, 'inhouse', 'permits:read permits:write')
const sandbox = sandboxControl(context)

const submit = (token: string, body: unknown, key?: string) => api(app, token, 'POST', '/v1/permits', body, key ? { 'idempotency-key': key } : {})
const permitsWith = async (clientReference: string) => (await db.selectFrom('permits').select('id').where('client_reference', '=', clientReference).execute()).length

t.test('the same key and body replays the first answer byte for byte', async (t) => {
  const body = sugarImport('idem-1')
  const first = await submit(writerA, body, 'key-1')
  t.equal(first.statusCode, 202, first.body)
  t.notOk(first.headers['idempotent-replayed'])
  // The same JSON in another member order is the same body (RFC 8785).
  const reordered = JSON.parse(JSON.stringify({ payload: body.payload, documents: body.documents, clientReference: body.clientReference, permitType: body.permitType }))
  const second = await submit(writerA, reordered, 'key-1')
  t.equal(second.statusCode, 202)
  t.equal(second.headers['idempotent-replayed'], 'true')
  t.equal(second.body, first.body, 'the same bytes')
  t.equal(second.headers.location, first.headers.location)
  t.equal(second.headers['content-type'], first.headers['content-type'])
  t.equal(await permitsWith('idem-1'), 1, 'one permit')
  t.equal(jobs.sent.filter((job) => job.data.permitId === first.json().permit.id).length, 1, 'one forwarding job')
})

t.test('the same key with another body is 422 IDEMPOTENCY_KEY_REUSED', async (t) => {
  await submit(writerA, sugarImport('idem-2'), 'key-2')
  const other = await submit(writerA, sugarImport('idem-2b'), 'key-2')
  t.equal(other.statusCode, 422)
  t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED')
  t.match(other.json().errors, [{ in: 'header', pointer: '/idempotency-key' }])
  t.equal(await permitsWith('idem-2b'), 0)
})

t.test('keys are per organisation', async (t) => {
  const a = await submit(writerA, sugarImport('idem-3'), 'shared-key')
  const b = await submit(writerB, sugarImport('idem-3'), 'shared-key')
  t.equal(a.statusCode, 202)
  t.equal(b.statusCode, 202, b.body)
  t.notOk(b.headers['idempotent-replayed'], 'another organisation\'s key is not a replay')
  t.not(a.json().permit.id, b.json().permit.id)
})

t.test('a retry while the first is in flight is 409 with Retry-After', async (t) => {
  // The first request holds the key while OSS answers slowly (0.5 s at the sandbox's time scale).
  const entry = await sandbox.identity('8120000000001')
  await sandbox.putIdentity('8120000000001', { ...entry, oss: { ...(entry.oss as object), mode: 'slow', delayMs: 50_000 } })
  context.upstreams.oss.invalidate()
  t.teardown(() => sandbox.reset())
  const body = sugarImport('idem-4')
  const first = submit(writerA, body, 'key-4')
  await new Promise((resolve) => setTimeout(resolve, 150))
  const during = await submit(writerA, body, 'key-4')
  t.equal(during.statusCode, 409, during.body)
  t.equal(during.json().code, 'IDEMPOTENCY_KEY_IN_FLIGHT')
  t.match(during.headers['retry-after'], /^\d+$/)
  t.equal((await first).statusCode, 202)
  const after = await submit(writerA, body, 'key-4')
  t.equal(after.headers['idempotent-replayed'], 'true', 'once done, a replay')
  t.equal(await permitsWith('idem-4'), 1)
})

t.test('the in-flight lock of a crashed request expires, and another takes the key over', async (t) => {
  const body = sugarImport('idem-5')
  const scope = { organisationId: orgA.orgId, operation: 'permits.create', key: 'key-5', requestSha256: canonicalSha256(body) }
  const then = new Date(Date.now() - 120_000)
  t.same(await claimIdempotencyKey(db, scope, then), { kind: 'proceed' }, 'a request two minutes ago claimed it, then died')
  const response = await submit(writerA, body, 'key-5')
  t.equal(response.statusCode, 202, response.body)
})

t.test('two requests with one key at once (look-ups cached, no claim first): one permit, the other replays or waits', async (t) => {
  const body = sugarImport('idem-race')
  await api(app, writerA, 'POST', '/v1/permits/validate', body) // every look-up cached: the steady state
  const answers = await Promise.all([submit(writerA, body, 'key-race'), submit(writerA, body, 'key-race')])
  const fresh = answers.filter((answer) => answer.statusCode === 202 && !answer.headers['idempotent-replayed'])
  t.equal(fresh.length, 1, answers.map((answer) => `${answer.statusCode} ${answer.headers['idempotent-replayed']}`).join(', '))
  const other = answers.find((answer) => answer !== fresh[0])!
  if (other.statusCode === 202) t.equal(other.body, fresh[0]!.body, 'the replay is the same bytes')
  else t.equal(other.json().code, 'IDEMPOTENCY_KEY_IN_FLIGHT')
  t.equal(await permitsWith('idem-race'), 1, 'one permit')
  t.equal(jobs.sent.filter((job) => job.data.permitId === fresh[0]!.json().permit.id).length, 1, 'one forwarding job')
})

t.test('a retry of an accepted request that would now fail replays the answer, never a new verdict', async (t) => {
  const body = sugarImport('idem-verdict')
  const first = await submit(writerA, body, 'key-verdict')
  t.equal(first.statusCode, 202, first.body)
  // KSWP now says the NPWP is not in good standing, and that answer is cached (a dry run asked):
  // the retry's pipeline fails without any upstream call, so no claim read the key first.
  const entry = await sandbox.identity('8120000000001')
  await sandbox.putIdentity('8120000000001', { ...entry, djp: { status: 'INVALID', reason: 'NPWP tidak aktif' } })
  context.upstreams.djp.invalidate()
  t.teardown(async () => {
    await sandbox.reset()
    context.upstreams.djp.invalidate()
  })
  t.equal((await api(app, writerA, 'POST', '/v1/permits/validate', body)).json().valid, false, 'the checks now refuse this body')
  const retry = await submit(writerA, body, 'key-verdict')
  t.equal(retry.statusCode, 202, retry.body)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.body, first.body, 'the same bytes')
  const otherKey = await submit(writerA, sugarImport('idem-verdict-2'), 'key-verdict-2')
  t.equal(otherKey.statusCode, 422, 'a new request is judged')
  t.equal(otherKey.json().code, 'VALIDATION_FAILED')
  const reused = await submit(writerA, sugarImport('idem-verdict-3'), 'key-verdict')
  t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED', 'the key with another body that fails is still 422 IDEMPOTENCY_KEY_REUSED')
})

t.test('a refused submission frees its key for the corrected retry', async (t) => {
  const bad = await submit(writerA, sugarImport('idem-6', { payload: { lines: [sugarLine({ quantity: -5 })] } }), 'key-6')
  t.equal(bad.statusCode, 422)
  const fixed = await submit(writerA, sugarImport('idem-6'), 'key-6')
  t.equal(fixed.statusCode, 202, fixed.body)
})

t.test('keys are kept 24 hours, then swept', async (t) => {
  await submit(writerA, sugarImport('idem-7'), 'key-7')
  const row = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', 'key-7').executeTakeFirstOrThrow()
  t.ok(row.expires_at.getTime() - row.created_at.getTime() >= IDEMPOTENCY_TTL_MS, 'at least 24 h')
  t.equal(await sweepIdempotencyKeys(db, new Date(Date.now() + 3_600_000)), 0, 'nothing swept within the day')
  const swept = await sweepIdempotencyKeys(db, new Date(Date.now() + IDEMPOTENCY_TTL_MS + 60_000))
  t.ok(swept >= 1, `swept ${swept}`)
  t.notOk(await db.selectFrom('idempotency_keys').select('key').where('key', '=', 'key-7').executeTakeFirst())
})

t.test('a clientReference used before, without a key, is 409 naming the existing permit', async (t) => {
  const first = await submit(writerA, sugarImport('ERP-DUP-1'))
  const id = first.json().permit.id
  const second = await submit(writerA, sugarImport('ERP-DUP-1', { payload: { lines: [sugarLine({ quantity: 7 })] } }))
  t.equal(second.statusCode, 409)
  t.equal(second.json().code, 'CONFLICT')
  t.match(second.json().detail, id)
  t.equal(second.headers.location, `/v1/permits/${id}`)
  const found = await api(app, writerA, 'GET', '/v1/permits?clientReference=ERP-DUP-1')
  t.same(found.json().items.map((item: { id: string }) => item.id), [id], 'found by clientReference after a timeout')
  // Two at once: exactly one is accepted.
  const race = await Promise.all([submit(writerA, sugarImport('ERP-DUP-2')), submit(writerA, sugarImport('ERP-DUP-2'))])
  t.same(race.map((response) => response.statusCode).sort(), [202, 409])
})
