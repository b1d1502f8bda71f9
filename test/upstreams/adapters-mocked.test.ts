import t from 'tap'
import { AppError } from '../../src/errors/app-error.ts'
import { createDjpAdapter } from '../../src/upstreams/djp.ts'
import { createInatradeAdapter } from '../../src/upstreams/inatrade.ts'
import { createOssAdapter } from '../../src/upstreams/oss.ts'
import { business } from './helpers/fake-upstreams.ts'
import { json, mockedClient } from './helpers/mock-upstream.ts'

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

const OSS_PATH = `/oss/v1/businesses/${business.nib}`

t.test('OSS: a body that breaks the contract is UPSTREAM_BAD_RESPONSE, naming paths but not values', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  const oss = createOssAdapter(m.client)
  m.pool.intercept({ path: OSS_PATH }).reply(200, { ...business, name: undefined, personsInCharge: [{ name: 'Budi', nik: 3171000000000001, position: 'Direktur' }] }, json)
  const error = await rejection(oss.getBusiness(business.nib))
  t.equal(error.code, 'UPSTREAM_BAD_RESPONSE')
  t.match(error.detail, /OSS business profile does not match the contract/)
  t.match(error.detail, /\/personsInCharge\/0\/nik/)
  t.match(error.detail, /name/)
  t.notMatch(error.detail, /3171000000000001|Budi/)
  t.equal(m.calls(), 1, 'a bad body is not retried')

  m.pool.intercept({ path: OSS_PATH }).reply(200, ['not', 'an', 'object'], json)
  t.equal((await rejection(oss.getBusiness(business.nib))).code, 'UPSTREAM_BAD_RESPONSE')
  m.pool.intercept({ path: OSS_PATH }).reply(200, 'null', json)
  t.equal((await rejection(oss.getBusiness(business.nib))).code, 'UPSTREAM_BAD_RESPONSE')
})

t.test('OSS: a redirect (inward, to the metadata address) is never followed: UPSTREAM_BAD_RESPONSE after one call', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  const oss = createOssAdapter(m.client)
  for (const status of [301, 302, 307, 308]) {
    const before = m.calls()
    m.pool.intercept({ path: OSS_PATH }).reply(status, '', { headers: { location: 'http://169.254.169.254/latest/meta-data/' } })
    const error = await rejection(oss.getBusiness(business.nib))
    t.equal(error.code, 'UPSTREAM_BAD_RESPONSE', `${status}: the upstream's fault`)
    t.equal(error.statusCode, 502)
    t.equal(m.calls() - before, 1, `${status}: one call, the Location not visited`)
  }
})

t.test('OSS: the profile of another NIB is refused', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: OSS_PATH }).reply(200, { ...business, nib: '8120000000099' }, json)
  const error = await rejection(createOssAdapter(m.client).getBusiness(business.nib))
  t.equal(error.code, 'UPSTREAM_BAD_RESPONSE')
  t.match(error.detail, /different NIB/)
})

t.test('OSS: a 404 without NIB_NOT_FOUND is a wrong route, not an unknown business', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: OSS_PATH }).reply(404, { message: 'Route GET not found', error: 'Not Found', statusCode: 404 }, json)
  const error = await rejection(createOssAdapter(m.client).getBusiness(business.nib))
  t.equal(error.code, 'UPSTREAM_BAD_RESPONSE')
  t.match(error.detail, /unexpected status 404/)
  m.pool.intercept({ path: OSS_PATH }).reply(401, { error: 'UNAUTHORIZED' }, json)
  t.match((await rejection(createOssAdapter(m.client).getBusiness(business.nib))).detail, /unexpected status 401 \(UNAUTHORIZED\)/)
})

t.test('OSS: a business without an NPWP (null) is a valid profile', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: OSS_PATH }).reply(200, { ...business, npwp: null }, json)
  const result = await createOssAdapter(m.client).getBusiness(business.nib)
  t.match(result, { found: true, business: { npwp: null } })
})

t.test('OSS cache: a hit avoids a second request; entries expire; the cache is bounded', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  const oss = createOssAdapter(m.client, { cacheTtlMs: 40, cacheMaxEntries: 1 })
  m.pool.intercept({ path: OSS_PATH }).reply(200, business, json).persist()
  t.equal(oss.cached(business.nib), undefined, 'a peek before any look-up: nothing, and no call')
  await oss.getBusiness(business.nib)
  await oss.getBusiness(business.nib)
  t.equal(m.calls(), 1, 'cache hit')
  t.match(oss.cached(business.nib), { found: true, business: { nib: business.nib, name: business.name } }, 'a peek answers the cached profile without a call')
  t.equal(m.calls(), 1)
  await new Promise((resolve) => setTimeout(resolve, 60))
  await oss.getBusiness(business.nib)
  t.equal(m.calls(), 2, 'expired entry fetched again')

  const other = { ...business, nib: '8120000000022' }
  m.pool.intercept({ path: '/oss/v1/businesses/8120000000022' }).reply(200, other, json).persist()
  await oss.getBusiness(other.nib)
  await oss.getBusiness(business.nib)
  t.equal(m.calls(), 4, 'one entry only: the older NIB was evicted')

  const uncached = createOssAdapter(m.client, { cacheTtlMs: 0 })
  await uncached.getBusiness(business.nib)
  await uncached.getBusiness(business.nib)
  t.equal(m.calls(), 6, 'ttl 0 disables the cache')
})

t.test('DJP: a status outside VALID/INVALID breaks the contract; 404 without NPWP_NOT_FOUND too', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  const djp = createDjpAdapter(m.client)
  const path = '/kswp/v1/taxpayers/012345678901000'
  m.pool.intercept({ path }).reply(200, { npwp: '012345678901000', status: 'MAYBE', taxpayerName: 'X', confirmedAt: '2025-01-01T00:00:00Z' }, json)
  t.equal((await rejection(djp.confirmTaxpayer('012345678901000'))).code, 'UPSTREAM_BAD_RESPONSE')
  m.pool.intercept({ path }).reply(404, '', json)
  t.equal((await rejection(djp.confirmTaxpayer('012345678901000'))).code, 'UPSTREAM_BAD_RESPONSE')
  // The 16-digit form of a 15-digit NPWP is the same taxpayer.
  m.pool.intercept({ path }).reply(200, { npwp: '0012345678901000', status: 'VALID', taxpayerName: 'X', confirmedAt: '2025-01-01T00:00:00Z', extra: 1 }, json)
  t.same(await djp.confirmTaxpayer('012345678901000'), { status: 'VALID', taxpayerName: 'X', confirmedAt: '2025-01-01T00:00:00Z' })
  await djp.confirmTaxpayer('012345678901000')
  t.equal(m.calls(), 3, 'cache hit')
  t.same(djp.cached('012345678901000'), { status: 'VALID', taxpayerName: 'X', confirmedAt: '2025-01-01T00:00:00Z' }, 'a peek answers the cached status')
  t.equal(djp.cached('019999999999000'), undefined, 'nothing for an NPWP never confirmed')
  t.equal(m.calls(), 3, 'peeks make no call')
})

t.test('INATRADE: a flaky upstream is retried under the same idempotency key', async (t) => {
  const m = mockedClient({ name: 'inatrade', retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 } })
  t.teardown(() => m.close())
  const inatrade = createInatradeAdapter(m.client)
  const path = '/inatrade/v1/applications'
  m.pool.intercept({ path, method: 'POST' }).reply(503, { error: 'BUSY' }, { headers: { 'retry-after': '0' } }).times(2)
  m.pool.intercept({ path, method: 'POST' }).reply(200, { inatradeId: 'INA-1', referenceNumber: 'GW-1', status: 'RECEIVED', receivedAt: '2025-01-01T00:00:00Z' }, json)
  const input = {
    referenceNumber: 'GW-1',
    permitType: 'PI',
    nib: business.nib,
    npwp: business.npwp,
    applicant: { name: 'Budi', nik: '3171000000000001' },
    payload: {},
    callbackUrl: 'http://gw/cb',
  }
  const result = await inatrade.submitApplication(input, { idempotencyKey: 'job-7' })
  t.same(result, { inatradeId: 'INA-1', status: 'RECEIVED', receivedAt: '2025-01-01T00:00:00Z', replayed: true })
  t.equal(m.calls(), 3)
  const keys = m.agent.getCallHistory()?.calls().map((call) => call.headers?.['idempotency-key'])
  t.same(keys, ['job-7', 'job-7', 'job-7'])

  m.pool.intercept({ path, method: 'POST' }).reply(202, { inatradeId: 'INA-2', referenceNumber: 'GW-other', status: 'RECEIVED', receivedAt: '2025-01-01T00:00:00Z' }, json)
  t.match((await rejection(inatrade.submitApplication(input, { idempotencyKey: 'job-8' }))).detail, /different reference number/)

  m.pool.intercept({ path: '/inatrade/v1/applications/INA-1' }).reply(200, { inatradeId: 'INA-1', referenceNumber: 'GW-1', status: 'WITHDRAWN', history: [] }, json)
  t.equal((await rejection(inatrade.getApplication('INA-1'))).code, 'UPSTREAM_BAD_RESPONSE', 'an unknown status is not passed on')

  m.pool.intercept({ path: '/inatrade/v1/applications/INA-1' }).reply(404, { error: 'NOT_FOUND', message: 'no such route' }, json)
  t.equal((await rejection(inatrade.getApplication('INA-1'))).code, 'UPSTREAM_BAD_RESPONSE', 'a missing route is not a missing application')
  m.pool.intercept({ path: '/inatrade/v1/applications/INA-1' }).reply(404, { error: 'APPLICATION_NOT_FOUND', message: 'x' }, json)
  t.same(await inatrade.getApplication('INA-1'), { found: false })

  m.pool.intercept({ path, method: 'POST' }).reply(202, { inatradeId: 'INA-3', referenceNumber: 'GW-1', status: 'RECEIVED', receivedAt: '2025-01-01T00:00:00Z' }, { headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' } })
  t.equal((await inatrade.submitApplication(input, { idempotencyKey: 'job-9' })).replayed, true, 'the replay header counts too')
  t.equal((await rejection(inatrade.submitApplication(input, { idempotencyKey: 'k'.repeat(256) }))).code, 'INTERNAL_ERROR')

  m.pool.intercept({ path: '/inatrade/v1/applications/INA-1' }).reply(200, {
    inatradeId: 'INA-1',
    referenceNumber: 'GW-1',
    status: 'APPROVED',
    history: [{ status: 'RECEIVED', at: '2025-01-01T00:00:00Z' }, { status: 'APPROVED', at: '2025-01-02T00:00:00Z' }],
    licence: { number: 'LIC-9', issuedAt: '2025-01-02T00:00:00Z', validUntil: '2026-01-02T00:00:00Z' },
  }, json)
  t.match(await inatrade.getApplication('INA-1'), { found: true, application: { status: 'APPROVED', licence: { number: 'LIC-9' } } })
})

t.test('INATRADE: 409 is CONFLICT, 400 a gateway bug, on reports too', async (t) => {
  const m = mockedClient({ name: 'inatrade' })
  t.teardown(() => m.close())
  const inatrade = createInatradeAdapter(m.client)
  const path = '/inatrade/v1/realisation-reports'
  const report = { reportNumber: 'R-1', nib: business.nib, licenceNumber: 'LIC-1', period: { year: 2025, month: 1 }, lines: [] }
  m.pool.intercept({ path, method: 'POST' }).reply(409, { error: 'IDEMPOTENCY_KEY_REUSED' }, json)
  t.equal((await rejection(inatrade.submitRealisationReport(report, { idempotencyKey: 'r' }))).code, 'CONFLICT')
  m.pool.intercept({ path, method: 'POST' }).reply(400, { error: 'MISSING_IDEMPOTENCY_KEY', message: 'x' }, json)
  const bug = await rejection(inatrade.submitRealisationReport(report, { idempotencyKey: 'r' }))
  t.equal(bug.code, 'INTERNAL_ERROR')
  t.match(bug.detail, /gateway bug/)
  m.pool.intercept({ path, method: 'POST' }).reply(202, { receivedAt: '2025-01-01T00:00:00Z' }, json)
  t.equal((await rejection(inatrade.submitRealisationReport(report, { idempotencyKey: 'r' }))).code, 'UPSTREAM_BAD_RESPONSE')
  t.equal(m.calls(), 3)
})
