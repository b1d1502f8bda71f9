import t from 'tap'
import { buildInatradeStub } from '../../src/sandbox/inatrade-stub.ts'
import { fixtureStore, NIB, TIME_SCALE, type Teardown } from './helpers.ts'

const REPORTS = '/inatrade/v1/realisation-reports'

function report(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reportNumber: 'LR-2026-03-0001',
    nib: NIB.approved,
    licenceNumber: 'IT.INATRADE/2026/000123',
    period: { year: 2026, month: 3 },
    lines: [{ hsCode: '72081000', quantity: 400, unit: 'TNE', portOfEntry: 'IDTPP' }],
    ...overrides,
  }
}

async function inatrade(t: Teardown) {
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale: TIME_SCALE })
  t.teardown(() => app.close())
  const post = (key: string | undefined, body: unknown) => app.inject({
    method: 'POST', url: REPORTS, headers: key === undefined ? {} : { 'idempotency-key': key }, payload: body as Record<string, unknown>,
  })
  return { app, post }
}

t.test('a realisation report is accepted with a receipt, idempotently', async (t) => {
  const { post } = await inatrade(t)
  const first = await post('report-1', report())
  t.equal(first.statusCode, 202)
  t.match(first.json(), { receiptNumber: /^RR\.INATRADE\/\d{4}\/\d{6}$/, receivedAt: String })
  const replay = await post('report-1', report())
  t.equal(replay.statusCode, 200)
  t.same(replay.json(), first.json())
  const next = await post('report-2', report({ reportNumber: 'LR-2026-04-0001', period: { year: 2026, month: 4 } }))
  t.equal(next.statusCode, 202)
  t.not(next.json().receiptNumber, first.json().receiptNumber)
})

t.test('a nil report (no lines) is still a report', async (t) => {
  const { post } = await inatrade(t)
  t.equal((await post('nil', report({ lines: [] }))).statusCode, 202)
})

t.test('realisation reports follow the idempotency and validation rules', async (t) => {
  const { post } = await inatrade(t)
  t.equal((await post('report-x', report())).statusCode, 202)
  const conflict = await post('report-x', report({ lines: [] }))
  t.equal(conflict.statusCode, 409)
  t.equal(conflict.json().error, 'IDEMPOTENCY_KEY_REUSED')
  const missing = await post(undefined, report())
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().error, 'MISSING_IDEMPOTENCY_KEY')
  const invalid = await post('report-bad', report({ period: { year: 2026, month: 13 }, lines: 'none' }))
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.json().error, 'INVALID_REALISATION_REPORT')
  t.ok(invalid.json().problems.some((problem: string) => problem.startsWith('/period/month')))
})

t.test('application and report keys are separate namespaces', async (t) => {
  const { post, app } = await inatrade(t)
  t.equal((await post('shared-key', report())).statusCode, 202)
  const application = await app.inject({
    method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': 'shared-key' },
    payload: { referenceNumber: 'R', permitType: 'P', nib: NIB.approved, npwp: '010000000001000', applicant: { name: 'Budi Santoso', nik: '3171000101800001' }, payload: {}, callbackUrl: 'http://127.0.0.1:9/cb' },
  })
  t.equal(application.statusCode, 202)
})

t.test('the NIB\'s INATRADE mode applies to reports too', async (t) => {
  const { post } = await inatrade(t)
  t.equal((await post('flaky-report', report({ nib: NIB.flaky }))).statusCode, 503)
  t.equal((await post('flaky-report', report({ nib: NIB.flaky }))).statusCode, 503)
  t.equal((await post('flaky-report', report({ nib: NIB.flaky }))).statusCode, 202)
  t.equal((await post('down-report', report({ nib: NIB.down }))).statusCode, 503)
})
