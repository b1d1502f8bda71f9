/**
 * Insurance declarations: the insurer a permit names declares the cover of a shipment (201) and
 * the permit's owner sees it; an unnamed insurer gets 404; people, in-house and surveyor clients
 * get 403 PARTNER_CLIENT_REQUIRED; coverage ending before it starts is 422 on /coverageEnd; the
 * amount is kept as sent; a repeat is idempotent (same body 200, other body 409); reads are scoped.
 */
import t from 'tap'
import { userToken } from '../helpers/orgs.ts'
import { api, clientToken, setupShipmentTest } from './helpers.ts'

const { app, db, minter, owner, other, surveyorOrg, insurerOrg, permit } = await setupShipmentTest(t)
const insurer = clientToken(minter, insurerOrg, 'insurer', 'permits:read reports:write')
const otherInsurer = clientToken(minter, other, 'insurer', 'permits:read reports:write')
const surveyor = clientToken(minter, surveyorOrg, 'surveyor', 'permits:read reports:read reports:write')
const ownerReader = clientToken(minter, owner, 'inhouse', 'permits:read')
const otherReader = clientToken(minter, other, 'inhouse', 'permits:read')

const issued = await permit('steel-insured')
const submitted = await permit('steel-submitted', 'submitted')

let serial = 0
function declaration(overrides: Record<string, unknown> = {}) {
  serial += 1
  return {
    permitId: issued,
    shipmentReference: `INS-${serial}`,
    policyNumber: 'MC-OC/2026/00981',
    insuredValue: { amount: '165000.50', currency: 'USD' },
    coverageStart: '2026-12-10',
    coverageEnd: '2027-01-31',
    ...overrides,
  }
}

t.test('the named insurer declares a shipment (201) and the owner sees it', async (t) => {
  const body = declaration()
  const response = await api(app, insurer, 'POST', '/v1/insurance-declarations', body)
  t.equal(response.statusCode, 201, response.body)
  const created = response.json()
  t.equal(response.headers.location, `/v1/insurance-declarations/${created.id}`)
  t.same(created.insuredValue, { amount: '165000.50', currency: 'USD' }, 'the amount as sent, trailing zero kept')
  t.match(created, {
    permitId: issued,
    permitUrl: `/v1/permits/${issued}`,
    shipmentReference: body.shipmentReference,
    policyNumber: 'MC-OC/2026/00981',
    insuredValue: { amount: '165000.50', currency: 'USD' },
    coverageStart: '2026-12-10',
    coverageEnd: '2027-01-31',
    insurer: { organisationId: insurerOrg.orgId, nib: '8120000000006' },
  })
  const listed = await api(app, ownerReader, 'GET', `/v1/permits/${issued}/insurance-declarations`)
  t.equal(listed.statusCode, 200, listed.body)
  t.same(listed.json().items, [created])
  t.same((await api(app, ownerReader, 'GET', `/v1/insurance-declarations/${created.id}`)).json(), created)
  t.same((await api(app, insurer, 'GET', `/v1/insurance-declarations/${created.id}`)).json(), created)
  const row = await db.selectFrom('insurance_declarations').select(['insured_currency', 'organisation_id', 'permit_organisation_id']).where('id', '=', created.id).executeTakeFirstOrThrow()
  t.same(row, { insured_currency: 'USD', organisation_id: insurerOrg.orgId, permit_organisation_id: owner.orgId }, 'both organisations on the row')

  const numeric = await api(app, insurer, 'POST', '/v1/insurance-declarations', declaration({ insuredValue: { amount: 2750000, currency: 'IDR' }, coverageEnd: '2026-12-10' }))
  t.equal(numeric.statusCode, 201, `a JSON number is read as its decimal text; a one-day cover: ${numeric.body}`)
  t.same(numeric.json().insuredValue, { amount: '2750000', currency: 'IDR' })
})

t.test('coverage ending before it starts is 422 naming /coverageEnd; other rules likewise', async (t) => {
  const response = await api(app, insurer, 'POST', '/v1/insurance-declarations', declaration({ coverageStart: '2027-02-01', coverageEnd: '2027-01-31' }))
  t.equal(response.statusCode, 422, response.body)
  t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/coverageEnd', in: 'body', reason: 'before_start' }] })

  const cases: [Record<string, unknown>, string, string][] = [
    [declaration({ insuredValue: { amount: '0.00', currency: 'USD' } }), '/insuredValue/amount', 'not_positive'],
    [declaration({ insuredValue: { amount: '-5', currency: 'USD' } }), '/insuredValue/amount', 'pattern'],
    [declaration({ insuredValue: { amount: '1.23456', currency: 'USD' } }), '/insuredValue/amount', 'pattern'],
    [declaration({ insuredValue: { amount: '10', currency: 'usd' } }), '/insuredValue/currency', 'pattern'],
    [declaration({ coverageStart: '2026-02-30' }), '/coverageStart', 'format'],
    [declaration({ coverageEnd: '31/01/2027' }), '/coverageEnd', ''],
    [declaration({ policyNumber: '' }), '/policyNumber', ''],
    [declaration({ permitId: 'not-a-uuid' }), '/permitId', ''],
  ]
  for (const [body, pointer, reason] of cases) {
    const answer = await api(app, insurer, 'POST', '/v1/insurance-declarations', body)
    t.equal(answer.statusCode, 422, `${pointer} ${reason}: ${answer.body}`)
    const errors = answer.json().errors as { pointer: string; reason?: string }[]
    t.ok(errors.some((error) => error.pointer === pointer && (!reason || error.reason === reason)), `${JSON.stringify(errors)} has ${pointer} ${reason}`)
  }
  const missing = await api(app, insurer, 'POST', '/v1/insurance-declarations', { ...declaration(), coverageEnd: undefined })
  t.equal(missing.statusCode, 422)
  t.match(missing.json().errors, [{ reason: 'required' }])
})

t.test('an unnamed insurer gets 404; people, in-house and surveyor clients 403', async (t) => {
  const unnamed = await api(app, otherInsurer, 'POST', '/v1/insurance-declarations', declaration())
  t.equal(unnamed.statusCode, 404, unnamed.body)
  t.equal(unnamed.json().code, 'NOT_FOUND')
  t.equal((await api(app, otherInsurer, 'GET', `/v1/permits/${issued}/insurance-declarations`)).statusCode, 404)

  const person = userToken(minter, owner.superAdmin.userId, owner.orgId, 'openid permits:read reports:write')
  const inhouse = clientToken(minter, owner, 'inhouse', 'reports:write')
  for (const [who, token] of [['a person', person], ['an in-house client', inhouse], ['a surveyor client', surveyor]] as const) {
    const response = await api(app, token, 'POST', '/v1/insurance-declarations', declaration())
    t.equal(response.statusCode, 403, `${who}: ${response.body}`)
    t.match(response.json(), { code: 'PARTNER_CLIENT_REQUIRED', detail: /insurer/ }, who)
  }
})

t.test('a permit not issued is 409; a repeat is 200 with the stored declaration, another body 409', async (t) => {
  const early = await api(app, insurer, 'POST', '/v1/insurance-declarations', declaration({ permitId: submitted }))
  t.equal(early.statusCode, 409, early.body)
  t.equal(early.json().code, 'PERMIT_NOT_ISSUED')

  const body = declaration()
  const first = await api(app, insurer, 'POST', '/v1/insurance-declarations', body)
  t.equal(first.statusCode, 201)
  const again = await api(app, insurer, 'POST', '/v1/insurance-declarations', body)
  t.equal(again.statusCode, 200)
  t.same(again.json(), first.json())
  const changed = await api(app, insurer, 'POST', '/v1/insurance-declarations', { ...body, insuredValue: { amount: '1', currency: 'USD' } })
  t.equal(changed.statusCode, 409)
  t.equal(changed.json().code, 'SHIPMENT_REFERENCE_CONFLICT')
  t.equal(changed.headers.location, first.headers.location)

  // A retry of an accepted push still answers after the permit moved on.
  await db.updateTable('permits').set({ status: 'cancelled' }).where('id', '=', issued).execute()
  t.teardown(() => db.updateTable('permits').set({ status: 'issued' }).where('id', '=', issued).execute())
  t.equal((await api(app, insurer, 'POST', '/v1/insurance-declarations', body)).statusCode, 200)
  t.equal((await api(app, insurer, 'POST', '/v1/insurance-declarations', declaration())).statusCode, 409, 'a new one does not')
})

t.test('reads are scoped to the insurer\'s own and the owner\'s permits', async (t) => {
  const mine = (await api(app, insurer, 'GET', '/v1/insurance-declarations?limit=100')).json().items
  t.ok(mine.length >= 3)
  t.same((await api(app, ownerReader, 'GET', '/v1/insurance-declarations?limit=100')).json().items, mine)
  t.same((await api(app, ownerReader, 'GET', `/v1/insurance-declarations?permitId=${issued}&limit=100`)).json().items, mine)
  t.same((await api(app, otherInsurer, 'GET', '/v1/insurance-declarations')).json().items, [])
  t.same((await api(app, otherReader, 'GET', '/v1/insurance-declarations')).json().items, [])
  t.equal((await api(app, otherReader, 'GET', `/v1/insurance-declarations/${mine[0].id}`)).statusCode, 404)
  t.equal((await api(app, surveyor, 'GET', `/v1/insurance-declarations/${mine[0].id}`)).statusCode, 404, 'the surveyor of the same permit does not see the cover')
  t.equal((await api(app, surveyor, 'GET', '/v1/insurance-declarations')).statusCode, 403)
  t.equal((await api(app, surveyor, 'GET', `/v1/permits/${issued}/insurance-declarations`)).statusCode, 404)
})
