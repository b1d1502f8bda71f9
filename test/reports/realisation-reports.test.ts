/**
 * Realisation reports: one per owed period, lines checked against the permit (its HS codes and
 * units, the realised total across every report within its quantity), Idempotency-Key replays,
 * amendments as versions that keep the earlier ones, the obligation met, and each version
 * forwarded to the INATRADE stub by its job.
 */
import t from 'tap'
import { insertPermit } from '../helpers/permits.ts'
import { issuePermit, setupComplianceTest, wib } from '../helpers/compliance.ts'
import { api, createOrg } from '../helpers/orgs.ts'

const { context, app, db, minter } = await setupComplianceTest(t)
const org = await createOrg(app, '8120000000001')
const other = await createOrg(app, '8120000000011')
const writer = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid reports:read reports:write' })
const otherWriter = minter.forUser(other.superAdmin.userId, { orgId: other.orgId, scope: 'openid reports:read reports:write' })
// STEEL_LINES: 250 TNE of 72085100 and 100 TNE of 72104900.
const permit = await issuePermit(app, db, { nib: '8120000000001', issuedAt: wib('2026-09-10T10:00:00'), validUntil: wib('2027-09-09T10:00:00') })
const reports = `/v1/permits/${permit.id}/realisation-reports`
// Business time: 1 October 2026, before September's deadline (15 October).
await app.businessClock.setOffset(wib('2026-10-01T09:00:00').getTime() - Date.now())

const line = (overrides: Record<string, unknown> = {}) => ({ hsCode: '7208.51.00', description: 'Hot-rolled steel plate', quantity: 100, unit: 'TNE', value: 72000, currency: 'USD', port: 'IDTPP', country: 'CN', realised: true, ...overrides })

async function waitForwarded(reportId: string, version: number) {
  for (let i = 0; i < 100; i++) {
    const row = await db.selectFrom('realisation_report_versions').selectAll().where('report_id', '=', reportId).where('version', '=', version).executeTakeFirstOrThrow()
    if (row.forwarding_status !== 'pending') return row
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('report version not forwarded')
}

t.test('a report of an owed period is accepted, meets the obligation and reaches INATRADE', async (t) => {
  const response = await api(app, writer, 'POST', reports, { period: '2026-09', lines: [line()] })
  t.equal(response.statusCode, 202)
  const report = response.json()
  t.equal(response.headers.location, `${reports}/${report.id}`)
  t.match(report, { period: '2026-09', currentVersion: 1, late: false, current: { version: 1, nil: false, forwarding: { status: 'pending' } } })
  t.match(report.reportNumber, /^RR-\d{4}-[A-Z2-7]{10}$/)
  const obligation = await db.selectFrom('obligations').selectAll().where('permit_id', '=', permit.id).where('period', '=', '2026-09').executeTakeFirstOrThrow()
  t.equal(obligation.status, 'submitted')
  t.equal(obligation.report_id, report.id)
  const forwarded = await waitForwarded(report.id, 1)
  t.equal(forwarded.forwarding_status, 'forwarded')
  t.match(forwarded.inatrade_receipt_number, /^RR\.INATRADE/)
  const seen = (await (await fetch(`${context.sandbox.inatradeUrl}/__sandbox/requests`)).json()) as { url: string; headers: Record<string, string> }[]
  t.ok(seen.some((entry) => entry.url === '/inatrade/v1/realisation-reports' && entry.headers['idempotency-key'] === `report:${report.id}:v1`), 'filed under the report and version key')
  const read = await api(app, writer, 'GET', `${reports}/${report.id}`)
  t.match(read.json(), { id: report.id, current: { forwarding: { status: 'forwarded' } } })
})

t.test('an empty list is a nil report; a second report of a period is 409 with where to amend', async (t) => {
  const nil = await api(app, writer, 'POST', reports, { period: '2026-10', lines: [] })
  t.equal(nil.statusCode, 202)
  t.equal(nil.json().current.nil, true)
  const again = await api(app, writer, 'POST', reports, { period: '2026-10', lines: [] })
  t.equal(again.statusCode, 409)
  t.equal(again.json().code, 'REPORT_ALREADY_SUBMITTED')
  t.equal(again.headers.location, `${reports}/${nil.json().id}/versions`)
})

t.test('lines must fit the permit: field-level errors, nothing stored', async (t) => {
  const before = await db.selectFrom('realisation_reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  const wrong = await api(app, writer, 'POST', reports, {
    period: '2026-11',
    lines: [line({ hsCode: '0901.11.10' }), line({ hsCode: '72104900', unit: 'KGM' }), line({ realised: false })],
  })
  t.equal(wrong.statusCode, 422)
  t.equal(wrong.json().code, 'VALIDATION_FAILED')
  t.same(
    wrong.json().errors.map((error: { pointer: string; reason: string }) => [error.pointer, error.reason]),
    [['/lines/0/hsCode', 'hs_code_not_permitted'], ['/lines/1/unit', 'unit_mismatch'], ['/lines/2/reason', 'required']],
  )
  const unknown = await api(app, writer, 'POST', reports, { period: '2025-01', lines: [] })
  t.equal(unknown.statusCode, 422)
  t.match(unknown.json().errors[0], { pointer: '/period', reason: 'period_unknown' })
  t.match(unknown.json().errors[0].detail, /2026-11/, 'names the periods still owed')
  const shape = await api(app, writer, 'POST', reports, { period: '2026-11', lines: [{ ...line(), port: 'Tanjung Priok' }] })
  t.equal(shape.statusCode, 422)
  t.equal(shape.json().errors[0].pointer, '/lines/0/port')
  const after = await db.selectFrom('realisation_reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  t.equal(Number(after.n), Number(before.n))
})

t.test('realised quantities across all reports stay within the permit; unrealised lines do not count', async (t) => {
  // 100 of 250 reported for 2026-09 already.
  const ok = await api(app, writer, 'POST', reports, { period: '2026-11', lines: [line({ quantity: 150 }), line({ hsCode: '72104900', quantity: 100, realised: false, reason: 'Postponed' })] })
  t.equal(ok.statusCode, 202)
  const over = await api(app, writer, 'POST', reports, { period: '2026-12', lines: [line({ quantity: 0.5 })] })
  t.equal(over.statusCode, 422)
  t.equal(over.json().code, 'OVER_REALISATION')
  t.match(over.json().errors[0], { pointer: '/lines/0/quantity', reason: 'over_realisation' })
  t.match(over.json().errors[0].detail, /250 TNE already reported.*0 left/)
})

t.test('an amendment adds a version, keeps the earlier one, and is checked without its own old lines', async (t) => {
  const first = (await api(app, writer, 'GET', reports)).json().items.find((item: { period: string }) => item.period === '2026-09')
  // 100 + 150 = 250 used; amending 2026-09 to 100 again (its own 100 does not count) is fine, to 101 is not.
  const fine = await api(app, writer, 'POST', `${reports}/${first.id}/versions`, { reason: 'Weights corrected after PIB', lines: [line({ quantity: 100, value: 71000 })] })
  t.equal(fine.statusCode, 202)
  t.match(fine.json(), { currentVersion: 2, current: { version: 2, amendmentReason: 'Weights corrected after PIB' } })
  const tooMuch = await api(app, writer, 'POST', `${reports}/${first.id}/versions`, { reason: 'More', lines: [line({ quantity: 101 })] })
  t.equal(tooMuch.json().code, 'OVER_REALISATION')
  const versions = (await api(app, writer, 'GET', `${reports}/${first.id}/versions`)).json().items
  t.same(versions.map((v: { version: number; lines: { value: number }[] }) => [v.version, v.lines[0]!.value]), [[1, 72000], [2, 71000]])
  const forwarded = await waitForwarded(first.id, 2)
  t.equal(forwarded.forwarding_status, 'forwarded')
})

t.test('Idempotency-Key: the same key and body replays; another body is 422', async (t) => {
  const body = { period: '2026-12', lines: [] }
  const first = await api(app, writer, 'POST', reports, body, { 'idempotency-key': 'rr-2026-12' })
  t.equal(first.statusCode, 202)
  const replay = await api(app, writer, 'POST', reports, body, { 'idempotency-key': 'rr-2026-12' })
  t.equal(replay.statusCode, 202)
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(replay.body, first.body, 'byte for byte')
  const reused = await api(app, writer, 'POST', reports, { period: '2027-01', lines: [] }, { 'idempotency-key': 'rr-2026-12' })
  t.equal(reused.statusCode, 422)
  t.equal(reused.json().code, 'IDEMPOTENCY_KEY_REUSED')
  // The same request twice at once (a client's retry racing its first try): one report, the same answer.
  const racing = { period: '2027-02', lines: [] }
  const [a, b] = await Promise.all([
    api(app, writer, 'POST', reports, racing, { 'idempotency-key': 'rr-2027-02' }),
    api(app, writer, 'POST', reports, racing, { 'idempotency-key': 'rr-2027-02' }),
  ])
  t.same([a.statusCode, b.statusCode], [202, 202])
  t.equal(a.json().id, b.json().id)
  t.equal([a, b].filter((response) => response.headers['idempotent-replayed'] === 'true').length, 1, 'one of them replayed')
})

t.test('another organisation gets 404; a permit without a licence is 409', async (t) => {
  t.equal((await api(app, otherWriter, 'POST', reports, { period: '2027-01', lines: [] })).statusCode, 404)
  t.equal((await api(app, otherWriter, 'GET', reports)).statusCode, 404)
  const pending = await insertPermit(db, { nib: '8120000000001', status: 'under_review' })
  const refused = await api(app, writer, 'POST', `/v1/permits/${pending.id}/realisation-reports`, { period: '2027-01', lines: [] })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().code, 'PERMIT_NOT_ISSUED')
  const readOnly = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid reports:read' })
  t.equal((await api(app, readOnly, 'POST', reports, { period: '2027-01', lines: [] })).statusCode, 403)
})
