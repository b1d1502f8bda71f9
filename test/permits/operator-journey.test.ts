/**
 * Platform operators read any organisation's permit and its journey, by id or reference number
 * (GET /v1/operator/permits/{permit}); the organisation's own people and clients are 403; an
 * unknown one is 404 and a malformed one 422.
 */
import t from 'tap'
import { operatorToken } from '../helpers/compliance.ts'
import { api, clientToken, createOrg, setupPermitTest, sugarImport } from './helpers.ts'

const { app, db, minter } = await setupPermitTest(t)
const org = await createOrg(app, '8120000000001')
const writer = clientToken(minter, org, 'inhouse', 'permits:read permits:write')
const operator = await operatorToken(app, db, minter)
const submitted = await api(app, writer, 'POST', '/v1/permits', sugarImport('operator-journey-1'))
const permit = submitted.json().permit as { id: string; referenceNumber: string }

t.test('an operator reads the permit and every step, by id or by reference number', async (t) => {
  const byId = await api(app, operator, 'GET', `/v1/operator/permits/${permit.id}`)
  t.equal(byId.statusCode, 200, byId.body)
  const journey = byId.json()
  t.match(journey.permit, { view: 'owner', id: permit.id, referenceNumber: permit.referenceNumber, clientReference: 'operator-journey-1', applicant: { nib: '8120000000001' } })
  t.same(journey.events.map((event: { type: string }) => event.type).slice(0, 3), ['permit.oss_checked', 'permit.kswp_checked', 'permit.submitted'], 'the journey from its look-ups on')
  t.equal(journey.truncated, false)
  const own = await api(app, writer, 'GET', `/v1/permits/${permit.id}/events`)
  t.same(journey.events, own.json().items, 'the same steps the organisation reads')
  const byReference = await api(app, operator, 'GET', `/v1/operator/permits/${permit.referenceNumber}`)
  t.equal(byReference.statusCode, 200)
  t.equal(byReference.json().permit.id, permit.id)
})

t.test('only operators; unknown 404, malformed 422', async (t) => {
  const owner = await api(app, clientToken(minter, org, 'inhouse', 'permits:read registrations:read'), 'GET', `/v1/operator/permits/${permit.id}`)
  t.equal(owner.statusCode, 403, 'the organisation\'s own client is no operator')
  t.equal((await api(app, operator, 'GET', '/v1/operator/permits/PRM-2026-ZZZZZZZZZZ')).statusCode, 404)
  t.equal((await api(app, operator, 'GET', '/v1/operator/permits/00000000-0000-4000-8000-000000000000')).statusCode, 404)
  const malformed = await api(app, operator, 'GET', '/v1/operator/permits/not-a-permit')
  t.equal(malformed.statusCode, 422)
  t.equal(malformed.json().errors[0].in, 'path')
})
