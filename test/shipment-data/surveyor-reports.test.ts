/**
 * Surveyor reports: the surveyor a permit names pushes the verification result of a shipment
 * (201) and the permit's owner sees it; an unnamed surveyor gets 404 as for a missing permit;
 * people, in-house and insurer clients get 403 PARTNER_CLIENT_REQUIRED; body rules are 422 with
 * the field; a repeat is idempotent (same body 200, other body 409); a permit not issued is 409;
 * every read is scoped to the pusher or the owner.
 */
import t from 'tap'
import { createActiveUser, createGroup, userToken } from '../helpers/orgs.ts'
import { api, clientToken, setupShipmentTest } from './helpers.ts'

const { app, context, minter, owner, other, surveyorOrg, insurerOrg, permit } = await setupShipmentTest(t)
const surveyor = clientToken(minter, surveyorOrg, 'surveyor', 'permits:read reports:read reports:write')
const otherSurveyor = clientToken(minter, other, 'surveyor', 'permits:read reports:read reports:write')
const insurer = clientToken(minter, insurerOrg, 'insurer', 'permits:read reports:write')
const ownerReader = clientToken(minter, owner, 'inhouse', 'permits:read')
const otherReader = clientToken(minter, other, 'inhouse', 'permits:read')

const issued = await permit('steel-issued')
const issuedToo = await permit('steel-issued-2')
const underReview = await permit('steel-review', 'under_review')

let serial = 0
function report(overrides: Record<string, unknown> = {}) {
  serial += 1
  return {
    permitId: issued,
    shipmentReference: `SHP-${serial}`,
    lsNumber: `LS-SCI/2026/${String(serial).padStart(6, '0')}`,
    inspectedAt: new Date(Date.now() - 3_600_000).toISOString(),
    portOfLoading: 'IDTPP',
    result: 'compliant',
    lines: [{ hsCode: '72085100', quantity: 200, unit: 'TNE' }],
    ...overrides,
  }
}

t.test('the named surveyor pushes a report (201) and the owner sees it', async (t) => {
  const body = report({ findings: 'Marking and quantity as declared.' })
  const response = await api(app, surveyor, 'POST', '/v1/surveyor-reports', body)
  t.equal(response.statusCode, 201, response.body)
  const created = response.json()
  t.equal(response.headers.location, `/v1/surveyor-reports/${created.id}`)
  t.match(created, {
    permitId: issued,
    permitUrl: `/v1/permits/${issued}`,
    url: `/v1/surveyor-reports/${created.id}`,
    shipmentReference: body.shipmentReference,
    lsNumber: body.lsNumber,
    inspectedAt: body.inspectedAt,
    portOfLoading: 'IDTPP',
    result: 'compliant',
    lines: [{ hsCode: '72085100', quantity: 200, unit: 'TNE' }],
    findings: 'Marking and quantity as declared.',
    surveyor: { organisationId: surveyorOrg.orgId, nib: '8120000000011' },
  })

  const seen = await api(app, ownerReader, 'GET', `/v1/permits/${issued}/surveyor-reports`)
  t.equal(seen.statusCode, 200, seen.body)
  t.same(seen.json().items.map((item: { id: string }) => item.id), [created.id])
  t.same((await api(app, ownerReader, 'GET', `/v1/surveyor-reports/${created.id}`)).json(), created, 'the owner reads the report')
  t.same((await api(app, surveyor, 'GET', `/v1/surveyor-reports/${created.id}`)).json(), created, 'the surveyor reads its own report')

  // A person of the owner with View on SSM Perizinan reads it too; one without gets 403 in their own organisation.
  const superA = userToken(minter, owner.superAdmin.userId, owner.orgId)
  const viewers = await createGroup(app, superA, owner.orgId, { level: 'non_admin', name: 'Shipment viewers', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  const others = await createGroup(app, superA, owner.orgId, { level: 'non_admin', name: 'No permits here', rights: [{ menu: 'USER_MANAGEMENT', actions: ['view'] }] })
  const viewer = userToken(minter, await createActiveUser(app, context, superA, owner.orgId, 'non_admin', viewers), owner.orgId, 'openid permits:read')
  const outsider = userToken(minter, await createActiveUser(app, context, superA, owner.orgId, 'non_admin', others), owner.orgId, 'openid permits:read')
  t.equal((await api(app, viewer, 'GET', `/v1/permits/${issued}/surveyor-reports`)).statusCode, 200)
  t.equal((await api(app, outsider, 'GET', `/v1/permits/${issued}/surveyor-reports`)).statusCode, 403)
})

t.test('an unnamed surveyor gets 404 for the permit, the same as for no permit', async (t) => {
  const response = await api(app, otherSurveyor, 'POST', '/v1/surveyor-reports', report())
  t.equal(response.statusCode, 404, response.body)
  t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(response.json(), { code: 'NOT_FOUND', status: 404 })
  const missing = await api(app, otherSurveyor, 'POST', '/v1/surveyor-reports', report({ permitId: '00000000-0000-4000-8000-000000000000' }))
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().detail, response.json().detail, 'nothing tells the two apart')
  t.equal((await api(app, otherSurveyor, 'GET', `/v1/permits/${issued}/surveyor-reports`)).statusCode, 404)
})

t.test('people, in-house and insurer clients may not push: 403 PARTNER_CLIENT_REQUIRED', async (t) => {
  const person = userToken(minter, owner.superAdmin.userId, owner.orgId, 'openid permits:read reports:write')
  const inhouse = clientToken(minter, owner, 'inhouse', 'reports:write')
  for (const [who, token] of [['a person', person], ['an in-house client', inhouse], ['an insurer client', insurer]] as const) {
    const response = await api(app, token, 'POST', '/v1/surveyor-reports', report())
    t.equal(response.statusCode, 403, `${who}: ${response.body}`)
    t.match(response.json(), { code: 'PARTNER_CLIENT_REQUIRED', detail: /surveyor/ }, who)
  }
  const noScope = await api(app, clientToken(minter, surveyorOrg, 'surveyor', 'permits:read'), 'POST', '/v1/surveyor-reports', report())
  t.equal(noScope.statusCode, 403)
  t.equal(noScope.json().code, 'INSUFFICIENT_SCOPE')
})

t.test('validation: 422 problem+json naming the field; malformed JSON 400', async (t) => {
  const cases: [Record<string, unknown>, string, string][] = [
    [report({ portOfLoading: 'Tanjung Priok' }), '/portOfLoading', 'pattern'],
    [report({ result: 'maybe' }), '/result', ''],
    [report({ inspectedAt: 'yesterday' }), '/inspectedAt', 'format'],
    [report({ lines: [{ hsCode: '72085100', quantity: 0, unit: 'TNE' }] }), '/lines/0/quantity', 'exclusiveMinimum'],
    [report({ shipmentReference: undefined }), '', 'required'],
    [report({ surprise: true }), '', 'additionalProperties'],
    [report({ inspectedAt: new Date(Date.now() + 86_400_000).toISOString() }), '/inspectedAt', 'in_future'],
    [report({ lines: [{ hsCode: '1701.14.00', quantity: 5, unit: 'TNE' }] }), '/lines/0/hsCode', 'hs_code_not_in_permit'],
  ]
  for (const [body, pointer, reason] of cases) {
    const response = await api(app, surveyor, 'POST', '/v1/surveyor-reports', body)
    t.equal(response.statusCode, 422, `${pointer} ${reason}: ${response.body}`)
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
    const problem = response.json()
    t.equal(problem.code, 'VALIDATION_FAILED')
    t.ok(
      problem.errors.some((error: { pointer: string; reason?: string; in: string }) => error.in === 'body' && error.pointer.startsWith(pointer) && (!reason || error.reason === reason)),
      `${JSON.stringify(problem.errors)} has ${pointer} ${reason}`,
    )
  }
  const malformed = await app.inject({ method: 'POST', url: '/v1/surveyor-reports', headers: { authorization: `Bearer ${surveyor}`, 'content-type': 'application/json' }, payload: '{"permitId":' })
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().code, 'MALFORMED_JSON')
})

t.test('a repeat: the same body answers the stored report (200), another body 409', async (t) => {
  const body = report()
  const first = await api(app, surveyor, 'POST', '/v1/surveyor-reports', body)
  t.equal(first.statusCode, 201)
  const again = await api(app, surveyor, 'POST', '/v1/surveyor-reports', body)
  t.equal(again.statusCode, 200, again.body)
  t.same(again.json(), first.json())
  t.equal(again.headers.location, first.headers.location)

  const changed = await api(app, surveyor, 'POST', '/v1/surveyor-reports', { ...body, result: 'non_compliant', findings: 'Short by 20 t' })
  t.equal(changed.statusCode, 409, changed.body)
  t.match(changed.json(), { code: 'SHIPMENT_REFERENCE_CONFLICT', detail: /shipmentReference/ })
  t.equal(changed.headers.location, first.headers.location)

  // The same reference under another permit is another shipment.
  const elsewhere = await api(app, surveyor, 'POST', '/v1/surveyor-reports', { ...body, permitId: issuedToo })
  t.equal(elsewhere.statusCode, 201, elsewhere.body)

  // Concurrent identical pushes: one report.
  const twin = report()
  const answers = await Promise.all([1, 2, 3].map(() => api(app, surveyor, 'POST', '/v1/surveyor-reports', twin)))
  t.same(answers.map((answer) => answer.statusCode).sort(), [200, 200, 201])
  t.equal(new Set(answers.map((answer) => answer.json().id)).size, 1)
})

t.test('a permit that is not issued: 409 PERMIT_NOT_ISSUED', async (t) => {
  const response = await api(app, surveyor, 'POST', '/v1/surveyor-reports', report({ permitId: underReview }))
  t.equal(response.statusCode, 409, response.body)
  t.match(response.json(), { code: 'PERMIT_NOT_ISSUED', detail: /under_review/ })
  t.equal(response.headers.location, `/v1/permits/${underReview}`)
})

t.test('reads are scoped: the pusher\'s own, the owner\'s permits\', nobody else\'s', async (t) => {
  const mine = (await api(app, surveyor, 'GET', '/v1/surveyor-reports?limit=100')).json().items
  t.ok(mine.length >= 4)
  t.ok(mine.every((item: { surveyor: { organisationId: string } }) => item.surveyor.organisationId === surveyorOrg.orgId))
  const byPermit = (await api(app, surveyor, 'GET', `/v1/surveyor-reports?permitId=${issuedToo}`)).json().items
  t.equal(byPermit.length, 1)
  t.equal(byPermit[0].permitId, issuedToo)
  const byReference = (await api(app, surveyor, 'GET', `/v1/surveyor-reports?shipmentReference=${byPermit[0].shipmentReference}`)).json().items
  t.equal(byReference.length, 2, 'one per permit')

  // Paging by 2: no overlap, no gap.
  const seen: string[] = []
  let url: string | null = '/v1/surveyor-reports?limit=2'
  while (url) {
    const page: { items: { id: string }[]; next: string | null } = (await api(app, surveyor, 'GET', url)).json()
    seen.push(...page.items.map((item) => item.id))
    url = page.next
  }
  t.same(seen, mine.map((item: { id: string }) => item.id))

  t.same((await api(app, ownerReader, 'GET', '/v1/surveyor-reports?limit=100')).json().items.map((item: { id: string }) => item.id), seen, 'the owner: every report about its permits')
  t.same((await api(app, otherSurveyor, 'GET', '/v1/surveyor-reports')).json().items, [], 'another surveyor: none')
  t.same((await api(app, otherReader, 'GET', '/v1/surveyor-reports')).json().items, [], 'another organisation: none')
  t.equal((await api(app, otherReader, 'GET', `/v1/surveyor-reports/${seen[0]}`)).statusCode, 404)
  t.equal((await api(app, otherSurveyor, 'GET', `/v1/surveyor-reports/${seen[0]}`)).statusCode, 404)
  t.equal((await api(app, otherReader, 'GET', `/v1/permits/${issued}/surveyor-reports`)).statusCode, 404)
  const insurerList = await api(app, insurer, 'GET', '/v1/surveyor-reports')
  t.equal(insurerList.statusCode, 403, 'an insurer reads declarations, not reports')
  t.equal((await api(app, insurer, 'GET', `/v1/surveyor-reports/${seen[0]}`)).statusCode, 404)
  t.equal((await api(app, insurer, 'GET', `/v1/permits/${issued}/surveyor-reports`)).statusCode, 404)
  t.equal((await api(app, ownerReader, 'GET', '/v1/surveyor-reports?cursor=garbage')).statusCode, 422)
  t.equal((await api(app, ownerReader, 'GET', '/v1/surveyor-reports/not-a-uuid')).statusCode, 422)
})
