/**
 * INATRADE's callbacks (signed over the raw body, de-duplicated, out-of-order safe) and the
 * licence document they lead to, on a gateway listening on a real socket so the stub can call it.
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { signCallbackBody } from '../../src/upstreams/index.ts'
import { forwardPermit } from '../../src/modules/permits/forwarding.ts'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'
import { freePort } from '../helpers/live-gateway.ts'
import { createOrg } from '../helpers/orgs.ts'
import { eventsOf, insertPermit, jobContext, permitOf, testJourneyDeps } from '../helpers/permits.ts'
import { tokenMinter } from '../helpers/tokens.ts'

// The app's INATRADE_CALLBACK_SECRET in sandbox mode (the stub signs with it too).
const SECRET = 'sandbox-callback-secret'
const context = await setupTestContext(t)
const db = context.database.handle.db
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const app = await buildTestApp(t, context, { env: { PUBLIC_URL: url } })
await app.listen({ port, host: '127.0.0.1' })

const org = await createOrg(app, '8120000000001')
const other = await createOrg(app, '8120000000002')
const minter = tokenMinter(app, testConfig({ PUBLIC_URL: url }))
const holderToken = minter.forUser(org.superAdmin.userId, { orgId: org.orgId })
const otherToken = minter.forUser(other.superAdmin.userId, { orgId: other.orgId })

let deliveries = 0
function callback(body: Record<string, unknown> | string, options: { signature?: string | null; delivery?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-inatrade-delivery': options.delivery ?? `delivery-${++deliveries}` }
  if (options.signature !== null) headers['x-inatrade-signature'] = options.signature ?? signCallbackBody(raw, SECRET)
  return app.inject({ method: 'POST', url: '/v1/callbacks/inatrade', headers, payload: raw })
}

function event(permit: { inatrade_id: string | null; reference_number: string }, status: string, extra: Record<string, unknown> = {}) {
  return { event: 'application.status_changed', inatradeId: permit.inatrade_id, referenceNumber: permit.reference_number, status, occurredAt: new Date().toISOString(), ...extra }
}

const licence = { number: 'IT.INATRADE/2026/000123', issuedAt: '2026-12-02T03:15:00.000Z', validUntil: '2027-12-02T03:15:00.000Z' }

t.test('the signature is checked over the raw bytes before anything else', async (t) => {
  const permit = await insertPermit(db, { status: 'received', inatradeId: 'inatrade-sig-1' })
  const body = event(permit, 'UNDER_REVIEW')
  const unsigned = await callback(body, { signature: null })
  t.equal(unsigned.statusCode, 401)
  t.match(unsigned.json(), { code: 'UNAUTHENTICATED', status: 401 })
  t.equal((await callback(body, { signature: signCallbackBody(JSON.stringify(body), 'wrong-secret') })).statusCode, 401)
  t.equal((await callback('{"not":"json"', { signature: 'sha256=' + '0'.repeat(64) })).statusCode, 401, 'a bad signature is 401 even with a broken body')
  const empty = await app.inject({ method: 'POST', url: '/v1/callbacks/inatrade', headers: { 'x-inatrade-delivery': 'd-empty' } })
  t.equal(empty.statusCode, 401, 'no body at all is unsigned')
  t.equal((await permitOf(db, permit.id)).status, 'received', 'nothing moved')

  // Signed as sent, with whitespace a re-serialisation would lose: accepted.
  const spaced = JSON.stringify(body, null, 2)
  const ok = await callback(spaced)
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { received: true, outcome: 'applied' })
  t.equal((await permitOf(db, permit.id)).status, 'under_review')
})

t.test('unknown applications are 404; malformed signed bodies are 4xx problems', async (t) => {
  const unknown = await callback({ event: 'application.status_changed', inatradeId: 'nope', referenceNumber: 'PRM-2026-NOPE', status: 'APPROVED', occurredAt: new Date().toISOString() })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { code: 'NOT_FOUND' })
  t.equal((await callback('{"event":')).statusCode, 400)
  const invalid = await callback({ event: 'application.status_changed', inatradeId: 'x', referenceNumber: 'y', status: 'MAYBE', occurredAt: 'now' })
  t.equal(invalid.statusCode, 422)
  t.equal((await db.selectFrom('inatrade_callback_deliveries').select('delivery_id').where('inatrade_id', '=', 'nope').execute()).length, 0, 'a 404 stores no delivery: a retry after the forwarding commits still applies')
})

t.test('REJECTED stores the reason; a repeated delivery changes nothing', async (t) => {
  const permit = await insertPermit(db, { status: 'under_review', inatradeId: 'inatrade-rej-1' })
  const body = event(permit, 'REJECTED', { reason: 'Pertek belum dilampirkan' })
  t.same((await callback(body, { delivery: 'rej-1' })).json(), { received: true, outcome: 'applied' })
  t.same((await callback(body, { delivery: 'rej-1' })).json(), { received: true, outcome: 'duplicate_delivery' })
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'rejected')
  t.equal(after.decision_reason, 'Pertek belum dilampirkan')
  t.ok(after.decided_at)
  const events = await eventsOf(db, permit.id)
  t.equal(events.length, 1, 'one event for two deliveries')
  t.match(events[0], { type: 'permit.status_changed', actor_type: 'upstream', actor_id: 'inatrade', hop: 'inatrade', status_to: 'rejected', trace_id: permit.trace_id, detail: { deliveryId: 'rej-1', reason: 'Pertek belum dilampirkan' } })
})

t.test('APPROVED issues the licence document at once; a late UNDER_REVIEW is recorded, never applied', async (t) => {
  const permit = await insertPermit(db, { status: 'received', inatradeId: 'inatrade-ok-1' })
  t.same((await callback(event(permit, 'APPROVED', { licence }))).json(), { received: true, outcome: 'applied' })
  t.same((await callback(event(permit, 'UNDER_REVIEW'))).json(), { received: true, outcome: 'recorded_late' })
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'issued')
  t.same(after.licence, licence)
  t.same((await eventsOf(db, permit.id)).map((e) => [e.type, e.status_to, e.outcome]), [
    ['permit.status_changed', 'approved', 'succeeded'],
    ['permit.document_issued', 'issued', 'succeeded'],
    ['permit.callback_ignored', null, 'ignored'],
  ])
  const late = await db.selectFrom('inatrade_callback_deliveries').select(['status', 'outcome']).where('inatrade_id', '=', 'inatrade-ok-1').orderBy('received_at').execute()
  t.same(late, [{ status: 'APPROVED', outcome: 'applied' }, { status: 'UNDER_REVIEW', outcome: 'recorded_late' }])

  const pdf = await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${holderToken}` } })
  t.equal(pdf.statusCode, 200, pdf.body.slice(0, 300))
  t.equal(pdf.headers['content-type'], 'application/pdf')
  t.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-')
  const sha = createHash('sha256').update(pdf.rawPayload).digest('hex')
  t.equal(pdf.headers.etag, `"${sha}"`, 'ETag is the sha256 of the bytes')
  const again = await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${holderToken}`, accept: 'application/pdf' } })
  t.ok(again.rawPayload.equals(pdf.rawPayload), 'every download is the same bytes')
  const notModified = await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${holderToken}`, 'if-none-match': pdf.headers.etag as string } })
  t.equal(notModified.statusCode, 304)

  const json = await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${holderToken}`, accept: 'application/json' } })
  t.equal(json.statusCode, 200)
  t.match(json.json(), {
    licenceNumber: licence.number,
    permitId: permit.id,
    holder: { nib: '8120000000001' },
    validUntil: licence.validUntil,
    lines: [{ hsCode: '72085100', quantity: 250, unit: 'TNE', country: 'CN' }],
    verificationUrl: `${url}/v1/permits/${permit.id}/document`,
  })
  t.notMatch(json.body, /npwp/i, 'no NPWP on the licence')

  t.equal((await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${holderToken}`, accept: 'text/html' } })).statusCode, 406)
  const foreign = await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${otherToken}` } })
  t.equal(foreign.statusCode, 404, 'another organisation cannot even see it exists')
  t.equal((await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document` })).statusCode, 401)
})

t.test('before issuance the document is a 409 problem', async (t) => {
  const permit = await insertPermit(db, { status: 'under_review', inatradeId: 'inatrade-wait-1' })
  const response = await app.inject({ method: 'GET', url: `/v1/permits/${permit.id}/document`, headers: { authorization: `Bearer ${holderToken}` } })
  t.equal(response.statusCode, 409)
  t.match(response.json(), { code: 'CONFLICT', detail: /under_review/ })
})

t.test('end to end with the stub: forwarded, reviewed, approved, issued, by signed callbacks alone', async (t) => {
  const deps = testJourneyDeps(db, context.upstreams, { publicUrl: url })
  const permit = await insertPermit(db)
  await forwardPermit(deps, { permitId: permit.id }, jobContext())
  const deadline = Date.now() + 15_000
  while ((await permitOf(db, permit.id)).status !== 'issued' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  const after = await permitOf(db, permit.id)
  t.equal(after.status, 'issued')
  t.match(after.licence, { number: /^IT\.INATRADE\/\d{4}\/\d{6}$/ })
  t.same((await eventsOf(db, permit.id)).map((e) => e.status_to), ['forwarded', 'received', 'under_review', 'approved', 'issued'])
  const sent = (await (await fetch(`${context.sandbox.inatradeUrl}/__sandbox/callbacks`)).json()) as { inatradeId: string; delivered: boolean }[]
  t.ok(sent.filter((d) => d.inatradeId === after.inatrade_id).every((d) => d.delivered), 'the gateway took every callback')
})

t.test('callbacks of one permit arriving at once queue on the permit: none fails, the last step wins', async (t) => {
  // On the PostgreSQL server, two deliveries that each took the delivery row's share lock on the
  // permit and then asked for its update lock deadlocked (a 500 to INATRADE).
  for (let round = 0; round < 5; round++) {
    const permit = await insertPermit(db, { status: 'received', inatradeId: `inatrade-burst-${round}` })
    const answers = await Promise.all(
      ['UNDER_REVIEW', 'UNDER_REVIEW', 'REJECTED', 'UNDER_REVIEW', 'REJECTED', 'UNDER_REVIEW'].map((status) => callback(event(permit, status, status === 'REJECTED' ? { reason: 'Kuota habis' } : {}))),
    )
    t.same(answers.map((answer) => answer.statusCode).filter((status) => status !== 200), [], `round ${round}: every delivery answered 200`)
    t.equal((await permitOf(db, permit.id)).status, 'rejected', 'the decision stands whatever the order')
  }
})
