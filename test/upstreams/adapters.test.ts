import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import t from 'tap'
import { AppError } from '../../src/errors/app-error.ts'
import { createUpstreams, type Upstreams } from '../../src/upstreams/index.ts'
import { business, startFakeUpstreams } from './helpers/fake-upstreams.ts'
import { recordingLogger } from './helpers/mock-upstream.ts'

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

const fake = await startFakeUpstreams()
t.teardown(() => fake.close())

// No dispatcher: the real Agents, over real sockets to the fake servers.
const logger = recordingLogger()
const upstreams: Upstreams = createUpstreams({
  ossUrl: fake.url,
  djpUrl: fake.url,
  inatradeUrl: fake.url,
  logger,
  timeouts: { connectMs: 500, lookupMs: 1000, inatradeMs: 1000 },
  retries: { baseDelayMs: 1, maxDelayMs: 5 },
})
t.teardown(() => upstreams.close())

const application = {
  referenceNumber: 'GW-2025-000001',
  permitType: 'PI-BESI-BAJA',
  nib: business.nib,
  npwp: business.npwp,
  applicant: { name: 'Budi Santoso', nik: '3171000000000001' },
  payload: { hsCode: '7208.10.00', quantity: 1200 },
  callbackUrl: 'http://127.0.0.1:1/callbacks/inatrade',
}

t.test('OSS: a found business, typed and without fields outside the contract', async (t) => {
  const result = await upstreams.oss.getBusiness('812.0000.000.011', { requestId: 'req-oss', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
  t.equal(result.found, true)
  if (!result.found) return
  t.equal(result.business.name, business.name)
  t.same(result.business.personsInCharge, business.personsInCharge)
  t.notOk('internalRiskScore' in result.business, 'unknown fields are dropped')
  const seen = fake.journal.at(-1)
  t.equal(seen?.url, `/oss/v1/businesses/${business.nib}`, 'separators stripped from the NIB')
  t.equal(seen?.headers['x-request-id'], 'req-oss')
  t.match(seen?.headers.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/)
})

t.test('OSS: the cache answers a repeated look-up without a request, and returns copies', async (t) => {
  upstreams.oss.invalidate()
  const before = fake.journal.length
  const first = await upstreams.oss.getBusiness(business.nib)
  const second = await upstreams.oss.getBusiness(business.nib)
  t.equal(fake.journal.length, before + 1, 'the second look-up is served from the cache')
  if (!first.found || !second.found) throw new Error('expected found')
  first.business.name = 'mutated'
  t.equal(second.business.name, business.name)
  t.equal(((await upstreams.oss.getBusiness(business.nib)) as { business: { name: string } }).business.name, business.name)
})

t.test('OSS: NIB_NOT_FOUND is { found: false } and is not cached', async (t) => {
  const before = fake.journal.length
  t.same(await upstreams.oss.getBusiness('9999999999999'), { found: false })
  t.same(await upstreams.oss.getBusiness('9999999999999'), { found: false })
  t.equal(fake.journal.length, before + 2)
})

t.test('OSS: a NIB the upstream refuses as malformed is reported as a gateway bug', async (t) => {
  const error = await rejection(upstreams.oss.getBusiness('123'))
  t.equal(error.code, 'INTERNAL_ERROR')
  t.match(error.detail, /OSS rejected the request the gateway sent.*INVALID_NIB.*gateway bug/)
})

t.test('DJP: VALID, INVALID with a reason, NOT_FOUND', async (t) => {
  t.same(await upstreams.djp.confirmTaxpayer('01.234.567.8-901.000'), {
    status: 'VALID',
    taxpayerName: 'PT SANDBOX DAGANG NUSANTARA',
    confirmedAt: '2025-02-01T00:00:00.000Z',
  })
  t.match(await upstreams.djp.confirmTaxpayer('0987654321098000'), { status: 'INVALID', reason: 'NPWP tidak aktif' })
  t.same(await upstreams.djp.confirmTaxpayer('111111111111111'), { status: 'NOT_FOUND' })
  const before = fake.journal.length
  await upstreams.djp.confirmTaxpayer('012345678901000')
  t.equal(fake.journal.length, before, 'VALID answers are cached')
  t.equal((await rejection(upstreams.djp.confirmTaxpayer('12'))).code, 'INTERNAL_ERROR')
})

t.test('INATRADE: submit, replay with the same key, conflict with a different body', async (t) => {
  const created = await upstreams.inatrade.submitApplication(application, { idempotencyKey: 'job-1', requestId: 'req-ina' })
  t.match(created, { inatradeId: /^INA-/, status: 'RECEIVED', replayed: false })
  t.type(created.receivedAt, 'string')
  const sent = fake.journal.at(-1)
  t.equal(sent?.headers['idempotency-key'], 'job-1')
  t.same(sent?.body, application)

  const replay = await upstreams.inatrade.submitApplication(application, { idempotencyKey: 'job-1' })
  t.same(replay, { ...created, replayed: true }, 'same application, flagged as a replay')

  const conflict = await rejection(upstreams.inatrade.submitApplication({ ...application, permitType: 'OTHER' }, { idempotencyKey: 'job-1' }))
  t.equal(conflict.code, 'CONFLICT')
  t.equal(conflict.statusCode, 409)
  t.match(conflict.detail, /idempotency key/)
  t.notMatch(conflict.detail, /job-1|3171000000000001/)

  const lookup = await upstreams.inatrade.getApplication(created.inatradeId)
  t.match(lookup, { found: true, application: { inatradeId: created.inatradeId, referenceNumber: application.referenceNumber, status: 'RECEIVED' } })
  t.same(await upstreams.inatrade.getApplication('INA-404404'), { found: false })
})

t.test('INATRADE: an application the upstream refuses is a gateway bug, not a client error', async (t) => {
  const invalid = { ...application, referenceNumber: undefined } as unknown as typeof application
  const error = await rejection(upstreams.inatrade.submitApplication(invalid, { idempotencyKey: 'job-bad' }))
  t.equal(error.code, 'INTERNAL_ERROR')
  t.match(error.detail, /INATRADE rejected the request the gateway sent for an application submission as invalid \(400 INVALID_APPLICATION\)/)
})

t.test('INATRADE: a write without an idempotency key never leaves the gateway', async (t) => {
  const before = fake.journal.length
  const error = await rejection(upstreams.inatrade.submitApplication(application, { idempotencyKey: '' }))
  t.equal(error.code, 'INTERNAL_ERROR')
  t.equal(fake.journal.length, before)
})

t.test('INATRADE: realisation report receipt and replay', async (t) => {
  const report = { reportNumber: 'RR-GW-1', nib: business.nib, licenceNumber: 'LIC-1', period: { year: 2025, month: 3 }, lines: [{ hsCode: '7208.10.00', quantity: 10 }] }
  const receipt = await upstreams.inatrade.submitRealisationReport(report, { idempotencyKey: 'report-1' })
  t.match(receipt, { receiptNumber: /^RR-/, replayed: false })
  t.same(await upstreams.inatrade.submitRealisationReport(report, { idempotencyKey: 'report-1' }), { ...receipt, replayed: true })
  t.equal((await rejection(upstreams.inatrade.submitRealisationReport({ ...report, lines: [] }, { idempotencyKey: 'report-1' }))).code, 'CONFLICT')
})

t.test('a wrong base URL surfaces as UPSTREAM_BAD_RESPONSE, not as "not found"', async (t) => {
  const misrouted = createUpstreams({ ossUrl: `${fake.url}/wrong`, djpUrl: `${fake.url}/wrong`, inatradeUrl: `${fake.url}/wrong` })
  t.teardown(() => misrouted.close())
  t.equal((await rejection(misrouted.oss.getBusiness(business.nib))).code, 'UPSTREAM_BAD_RESPONSE')
  t.equal((await rejection(misrouted.djp.confirmTaxpayer(business.npwp))).code, 'UPSTREAM_BAD_RESPONSE')
  t.equal((await rejection(misrouted.inatrade.getApplication('INA-000001'))).code, 'UPSTREAM_BAD_RESPONSE')
})

t.test('breaker states are reported per upstream, and logs never carry identifiers', async (t) => {
  t.same(upstreams.breakerStates(), { oss: 'closed', djp: 'closed', inatrade: 'closed' })
  t.notMatch(JSON.stringify(logger.records), /3171000000000001|Budi|8120000000011|012345678901000/)
})

t.test('connection refused is UPSTREAM_UNAVAILABLE and opens the breaker', async (t) => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
  const down = createUpstreams({
    ossUrl: `http://127.0.0.1:${port}`,
    djpUrl: `http://127.0.0.1:${port}`,
    inatradeUrl: `http://127.0.0.1:${port}`,
    retries: { lookup: 1, baseDelayMs: 1, maxDelayMs: 2 },
    breaker: { failureRateThreshold: 1, minimumCalls: 2, windowMs: 60_000, resetAfterMs: 60_000 },
  })
  t.teardown(() => down.close())
  const error = await rejection(down.oss.getBusiness(business.nib))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.match(error.detail, /ECONNREFUSED/)
  t.same(down.breakerStates(), { oss: 'open', djp: 'closed', inatrade: 'closed' })
  t.match((await rejection(down.oss.getBusiness(business.nib))).detail, /circuit is open/)
})

t.test('real sockets: a silent server times out, a hang-up is retried then UPSTREAM_UNAVAILABLE', async (t) => {
  let requests = 0
  const server = createHttpServer((request) => {
    requests++
    if (request.url?.startsWith('/oss/')) return // never answers
    request.socket.destroy() // the stub's `hangUp: true`
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const slow = createUpstreams({
    ossUrl: url,
    djpUrl: url,
    inatradeUrl: url,
    timeouts: { lookupMs: 80, inatradeMs: 80 },
    retries: { lookup: 1, inatrade: 2, baseDelayMs: 1, maxDelayMs: 2 },
  })
  t.teardown(() => slow.close())

  const started = performance.now()
  const timeout = await rejection(slow.oss.getBusiness(business.nib))
  t.equal(timeout.code, 'UPSTREAM_TIMEOUT')
  t.equal(requests, 2, 'one retry')
  t.ok(performance.now() - started < 1000)

  requests = 0
  const hangUp = await rejection(slow.inatrade.submitApplication(application, { idempotencyKey: 'job-hangup' }))
  t.equal(hangUp.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(requests, 3, 'two retries under the idempotency key')
})
