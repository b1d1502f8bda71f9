/**
 * Reading and cancelling permits: the owner's view (SLA, licence, last forwarding error), list
 * filters and keyset paging, the journey's events, cancel before a decision only (and INATRADE
 * told when it may know the permit), and rights: View / Delete on SSM Perizinan or the scopes,
 * another organisation's permit 404, a surveyor's and an insurer's client the partner view of
 * the permits naming their organisation only.
 */
import t from 'tap'
import { createActiveUser, createGroup, userToken } from '../helpers/orgs.ts'
import { api, clientToken, createOrg, setupPermitTest, sugarImport } from './helpers.ts'

const { context, app, db, minter, jobs } = await setupPermitTest(t)
const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const surveyorOrg = await createOrg(app, '8120000000011')
const insurerOrg = await createOrg(app, '8120000000006')
const writerA = clientToken(minter, orgA, 'inhouse', 'permits:read permits:write')
const readerB = clientToken(minter, orgB, 'inhouse', 'permits:read permits:write')
const surveyor = clientToken(minter, surveyorOrg, 'surveyor', 'permits:read')
const insurer = clientToken(minter, insurerOrg, 'insurer', 'permits:read')

async function submitted(body: unknown): Promise<string> {
  const response = await api(app, writerA, 'POST', '/v1/permits', body)
  if (response.statusCode !== 202) throw new Error(`not accepted: ${response.body}`)
  return response.json().permit.id as string
}

const steel = {
  permitType: 'PI-BAJA',
  clientReference: 'steel-1',
  surveyorNib: '8120000000011',
  payload: { ...sugarImport('x').payload, lines: [{ hsCode: '7208.51.00', description: 'Hot-rolled steel plate', quantity: 200, unit: 'TNE', value: 150000, currency: 'USD', originCountry: 'JP' }], pertekNumber: undefined, pertekDate: undefined },
  documents: ['NIB', 'PROFORMA_INVOICE', 'SURVEYOR_AGREEMENT', 'PERTEK'].map((type) => ({ type, name: `${type.toLowerCase()}.pdf` })),
}
delete (steel.payload as Record<string, unknown>).pertekNumber
delete (steel.payload as Record<string, unknown>).pertekDate

const first = await submitted(sugarImport('list-1'))
const second = await submitted(sugarImport('list-2', { insurerNib: '8120000000006' }))
const steelId = await submitted(steel)
const fourth = await submitted(sugarImport('list-4'))

t.test('the owner\'s view: status, SLA, licence, forwarding error', async (t) => {
  const response = await api(app, writerA, 'GET', `/v1/permits/${first}`)
  t.equal(response.statusCode, 200, response.body)
  const permit = response.json()
  t.match(permit, { view: 'owner', id: first, status: 'submitted', clientReference: 'list-1', applicant: { nib: '8120000000001', npwp: '010000000001000' }, licence: null, forwarding: { attempts: 0, lastError: null }, inatradeId: null })
  t.match(permit.sla, { atRisk: false, breached: false })
  t.ok(permit.sla.remainingWorkingDays >= 4, `${permit.sla.remainingWorkingDays} working days left of 5`)
  t.match(permit.payload, { lines: [{ hsCode: '1701.14.00' }] })
  t.match(permit.traceId, /^[0-9a-f]{32}$/)

  await db.updateTable('permits').set({ forwarding_attempts: 3, last_forwarding_error: 'INATRADE answered 503' }).where('id', '=', fourth).execute()
  t.match((await api(app, writerA, 'GET', `/v1/permits/${fourth}`)).json(), { forwarding: { attempts: 3, lastError: 'INATRADE answered 503' } })

  const licence = { number: 'IT.INATRADE/2026/000118', issuedAt: '2026-12-03T02:00:00.000Z', validUntil: '2027-06-01T00:00:00.000Z' }
  const decidedAt = new Date()
  await db.updateTable('permits').set({ status: 'issued', licence: JSON.stringify(licence), decided_at: decidedAt, inatrade_id: 'INA-1' }).where('id', '=', second).execute()
  const issued = (await api(app, writerA, 'GET', `/v1/permits/${second}`)).json()
  t.match(issued, { status: 'issued', licence, inatradeId: 'INA-1' })
  t.equal(issued.sla.breached, false, 'decided in time: the clock stopped')
})

t.test('a traceparent sent with the submission becomes the journey\'s trace id', async (t) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const response = await api(app, writerA, 'POST', '/v1/permits', sugarImport('traced-1'), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })
  const permit = (await api(app, writerA, 'GET', `/v1/permits/${response.json().permit.id}`)).json()
  t.equal(permit.traceId, traceId)
})

t.test('list: newest first, filters, keyset paging', async (t) => {
  const all = await api(app, writerA, 'GET', '/v1/permits?limit=100')
  t.equal(all.statusCode, 200, all.body)
  const ids = all.json().items.map((item: { id: string }) => item.id)
  t.same(ids.slice(-4), [fourth, steelId, second, first], 'newest first')
  t.match(all.json().items.at(-1), { id: first, clientReference: 'list-1', status: 'submitted', statusUrl: `/v1/permits/${first}`, dueAt: String })

  const byType = (await api(app, writerA, 'GET', '/v1/permits?permitType=PI-BAJA')).json().items
  t.same(byType.map((item: { id: string }) => item.id), [steelId])
  const byStatus = (await api(app, writerA, 'GET', '/v1/permits?status=issued')).json().items
  t.same(byStatus.map((item: { id: string }) => item.id), [second])
  const byReference = (await api(app, writerA, 'GET', '/v1/permits?clientReference=list-2')).json().items
  t.same(byReference.map((item: { id: string }) => item.id), [second])
  const future = new Date(Date.now() + 60_000).toISOString()
  t.same((await api(app, writerA, 'GET', `/v1/permits?submittedFrom=${future}`)).json().items, [])
  const window = (await api(app, writerA, 'GET', `/v1/permits?submittedTo=${future}&permitType=PI-GULA&limit=100`)).json().items
  t.ok(window.length >= 3)

  // Page by 2 through everything: no overlap, no gap, filters kept in `next`.
  const seen: string[] = []
  let url: string | null = '/v1/permits?limit=2&permitType=PI-GULA'
  while (url) {
    const page: { items: { id: string; permitType: string }[]; next: string | null } = (await api(app, writerA, 'GET', url)).json()
    t.ok(page.items.length <= 2)
    t.ok(page.items.every((item) => item.permitType === 'PI-GULA'))
    seen.push(...page.items.map((item) => item.id))
    if (page.next) t.match(page.next, /permitType=PI-GULA/)
    url = page.next
  }
  t.same(seen, ids.filter((id: string) => id !== steelId))
  t.equal((await api(app, writerA, 'GET', '/v1/permits?cursor=garbage')).statusCode, 422)
  t.equal((await api(app, writerA, 'GET', '/v1/permits?status=lost')).statusCode, 422)
})

t.test('list: SLA breached and at risk', async (t) => {
  await db.updateTable('permits').set({ due_at: new Date(Date.now() - 3_600_000) }).where('id', '=', first).execute()
  await db.updateTable('permits').set({ due_at: new Date(Date.now() + 3_600_000) }).where('id', '=', fourth).execute()
  const breached = (await api(app, writerA, 'GET', '/v1/permits?sla=breached')).json().items.map((item: { id: string }) => item.id)
  t.same(breached, [first])
  const atRisk = (await api(app, writerA, 'GET', '/v1/permits?sla=at_risk')).json().items.map((item: { id: string }) => item.id)
  t.same(atRisk, [fourth])
  t.match((await api(app, writerA, 'GET', `/v1/permits/${first}`)).json().sla, { breached: true, atRisk: false, remainingWorkingDays: 0 })
  t.match((await api(app, writerA, 'GET', `/v1/permits/${fourth}`)).json().sla, { breached: false, atRisk: true })
})

t.test('events: the journey, oldest first, paged by sequence', async (t) => {
  const response = await api(app, writerA, 'GET', `/v1/permits/${steelId}/events`)
  t.equal(response.statusCode, 200, response.body)
  const items = response.json().items
  t.match(items, [
    { sequence: 1, type: 'permit.oss_checked', actor: { type: 'system', id: null }, hop: 'oss', outcome: 'succeeded', statusTo: null },
    { sequence: 2, type: 'permit.kswp_checked', actor: { type: 'system', id: null }, hop: 'djp_kswp', outcome: 'succeeded', statusTo: null },
    {
      sequence: 3,
      type: 'permit.submitted',
      actor: { type: 'client', id: orgA.clients.find((c) => c.kind === 'inhouse')!.clientId },
      hop: 'gateway',
      outcome: 'succeeded',
      statusFrom: null,
      statusTo: 'submitted',
      detail: { checks: { shape: 'passed', oss: 'passed', djp_kswp: 'passed', business_rules: 'passed' } },
    },
  ])
  t.equal(items.length, 3)
  t.match(items[0].traceId, /^[0-9a-f]{32}$/)
  t.ok(items.every((event: { traceId: string }) => event.traceId === items[0].traceId), 'one trace id for the journey')
  await api(app, writerA, 'POST', `/v1/permits/${steelId}/cancel`, { reason: 'Buyer withdrew' })
  const pageOne = (await api(app, writerA, 'GET', `/v1/permits/${steelId}/events?limit=3`)).json()
  t.equal(pageOne.items.length, 3)
  t.equal(pageOne.next, `/v1/permits/${steelId}/events?limit=3&cursor=3`)
  const pageTwo = (await api(app, writerA, 'GET', pageOne.next)).json()
  t.match(pageTwo.items, [{ sequence: 4, type: 'permit.cancelled', statusFrom: 'submitted', statusTo: 'cancelled', actor: { type: 'client' }, detail: { reason: 'Buyer withdrew' } }])
  t.equal(pageTwo.items.length, 1)
  t.equal(pageTwo.next, null)
})

t.test('cancel: at once before INATRADE has the permit, asked of INATRADE once it does', async (t) => {
  const id = await submitted(sugarImport('cancel-1'))
  const response = await api(app, writerA, 'POST', `/v1/permits/${id}/cancel`)
  t.equal(response.statusCode, 200, response.body)
  t.match(response.json(), { permit: { id, status: 'cancelled', decisionReason: null }, cancellation: 'cancelled' })
  t.equal(await jobs.committed('permit.cancel', id), 0, 'INATRADE never had it: nothing to withdraw (a forward on the wire withdraws it itself)')
  const again = await api(app, writerA, 'POST', `/v1/permits/${id}/cancel`, { reason: 'twice' })
  t.equal(again.statusCode, 409)
  t.match(again.json().detail, /cancelled/)

  const atInatrade = await submitted(sugarImport('cancel-4'))
  await db.updateTable('permits').set({ status: 'under_review', inatrade_id: '7b0c4d52-0a5e-4a39-9a3e-0d1f2f6e9a11' }).where('id', '=', atInatrade).execute()
  const requested = await api(app, writerA, 'POST', `/v1/permits/${atInatrade}/cancel`, { reason: 'Buyer withdrew' })
  t.equal(requested.statusCode, 202, requested.body)
  t.match(requested.json(), { permit: { id: atInatrade, status: 'under_review' }, cancellation: 'requested' })
  t.equal(await jobs.committed('permit.cancel', atInatrade), 1, 'permit.cancel enqueued with the request')
  const events = (await api(app, writerA, 'GET', `/v1/permits/${atInatrade}/events`)).json().items
  t.match(events.at(-1), { type: 'permit.cancel_requested', detail: { reason: 'Buyer withdrew' } })

  const decided = await submitted(sugarImport('cancel-2'))
  await db.updateTable('permits').set({ status: 'approved' }).where('id', '=', decided).execute()
  const late = await api(app, writerA, 'POST', `/v1/permits/${decided}/cancel`)
  t.equal(late.statusCode, 409, 'after a decision')
  t.equal((await db.selectFrom('permits').select('status').where('id', '=', decided).executeTakeFirstOrThrow()).status, 'approved')

  const dead = await submitted(sugarImport('cancel-3'))
  await db.updateTable('permits').set({ status: 'forwarding_failed' }).where('id', '=', dead).execute()
  const quiet = await api(app, writerA, 'POST', `/v1/permits/${dead}/cancel`, { reason: 'INATRADE never got it' })
  t.match(quiet.json(), { permit: { status: 'cancelled', decisionReason: 'INATRADE never got it' }, cancellation: 'cancelled' })
  t.equal(await jobs.committed('permit.cancel', dead), 0, 'INATRADE never knew it: nothing to tell')
})

t.test('rights: another organisation\'s permit is 404 everywhere', async (t) => {
  for (const [method, url] of [['GET', `/v1/permits/${first}`], ['GET', `/v1/permits/${first}/events`], ['POST', `/v1/permits/${first}/cancel`]] as const) {
    const response = await api(app, readerB, method, url)
    t.equal(response.statusCode, 404, `${method} ${url}`)
  }
  t.same((await api(app, readerB, 'GET', '/v1/permits?clientReference=list-1')).json().items, [], 'not listed')
  t.equal((await api(app, writerA, 'GET', '/v1/permits/00000000-0000-4000-8000-000000000000')).statusCode, 404)
})

t.test('rights: View to read, Delete to cancel; scopes for machine clients', async (t) => {
  const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
  const viewers = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Permit viewers', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  const others = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'No permits', rights: [{ menu: 'USER_MANAGEMENT', actions: ['view'] }] })
  const scopes = 'openid permits:read permits:write'
  const viewer = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', viewers), orgA.orgId, scopes)
  const outsider = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', others), orgA.orgId, scopes)
  t.equal((await api(app, viewer, 'GET', `/v1/permits/${first}`)).statusCode, 200)
  t.equal((await api(app, viewer, 'POST', `/v1/permits/${fourth}/cancel`)).statusCode, 403, 'View is not Delete')
  t.equal((await api(app, viewer, 'POST', '/v1/permits', sugarImport('viewer-1'))).statusCode, 403, 'View is not Create')
  t.equal((await api(app, outsider, 'GET', `/v1/permits/${first}`)).statusCode, 403)
  t.equal((await api(app, outsider, 'GET', '/v1/permits')).statusCode, 403)
  const superAdmin = userToken(minter, orgA.superAdmin.userId, orgA.orgId, scopes)
  const cancelled = await api(app, superAdmin, 'POST', `/v1/permits/${await submitted(sugarImport('admin-cancel'))}/cancel`)
  t.equal(cancelled.statusCode, 200, 'a super admin holds Delete')
  t.equal((await api(app, clientToken(minter, orgA, 'inhouse', 'permits:write'), 'GET', `/v1/permits/${first}`)).statusCode, 403, 'reading needs permits:read')
  t.equal((await api(app, clientToken(minter, orgA, 'inhouse', 'permits:read'), 'POST', `/v1/permits/${fourth}/cancel`)).statusCode, 403, 'cancelling needs permits:write')
})

t.test('a surveyor\'s and an insurer\'s client: the partner view of the permits naming them, nothing else', async (t) => {
  const seen = await api(app, surveyor, 'GET', `/v1/permits/${steelId}`)
  t.equal(seen.statusCode, 200, seen.body)
  const view = seen.json()
  t.equal(view.view, 'surveyor')
  t.same(Object.keys(view).sort(), ['applicant', 'id', 'licence', 'permitType', 'referenceNumber', 'status', 'statusChangedAt', 'statusUrl', 'submittedAt', 'view'])
  t.same(view.applicant, { nib: '8120000000001', name: 'PT Sandbox Impor Sejahtera' }, 'no NPWP, no address')
  t.equal((await api(app, surveyor, 'GET', `/v1/permits/${first}`)).statusCode, 404, 'a permit not naming it')
  t.equal((await api(app, surveyor, 'GET', `/v1/permits/${steelId}/events`)).statusCode, 404, 'no journey')
  const listed = (await api(app, surveyor, 'GET', '/v1/permits')).json().items
  t.same(listed.map((item: { id: string }) => item.id), [steelId])
  t.notOk('clientReference' in listed[0] || 'dueAt' in listed[0], 'the list is reduced too')

  const insured = (await api(app, insurer, 'GET', `/v1/permits/${second}`)).json()
  t.match(insured, { view: 'insurer', id: second, status: 'issued', licence: { number: 'IT.INATRADE/2026/000118' } })
  t.notOk('payload' in insured)
  t.same((await api(app, insurer, 'GET', '/v1/permits')).json().items.map((item: { id: string }) => item.id), [second])
  t.equal((await api(app, insurer, 'POST', `/v1/permits/${second}/cancel`)).statusCode, 403, 'partners never cancel (no permits:write)')
})
