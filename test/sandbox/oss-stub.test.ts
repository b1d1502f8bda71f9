import t from 'tap'
import { buildOssStub } from '../../src/sandbox/oss-stub.ts'
import { fixtureStore, NIB, TIME_SCALE, type Teardown } from './helpers.ts'

async function ossStub(t: Teardown) {
  const app = await buildOssStub({ identities: await fixtureStore(), timeScale: TIME_SCALE })
  t.teardown(() => app.close())
  return app
}

t.test('a known NIB answers 200 with the business profile', async (t) => {
  const app = await ossStub(t)
  const response = await app.inject({ url: `/oss/v1/businesses/${NIB.approved}` })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^application\/json/)
  t.same(response.json(), {
    nib: NIB.approved,
    name: 'PT Sandbox Impor Sejahtera',
    legalForm: 'PT',
    npwp: '010000000001000',
    businessTypes: ['IMPORTER'],
    address: { street: 'Jl. Gajah Mada No. 101, Gedung Sandbox Lt. 5', city: 'Kota Administrasi Jakarta Pusat', province: 'DKI Jakarta', postalCode: '10130' },
    kbli: [
      { code: '46100', title: 'Perdagangan Besar atas Dasar Balas Jasa (Fee) atau Kontrak' },
      { code: '46900', title: 'Perdagangan Besar Berbagai Macam Barang' },
    ],
    personsInCharge: [
      { name: 'Budi Santoso', nik: '3171000101800001', position: 'Direktur Utama' },
      { name: 'Siti Rahmawati', nik: '3171004502850002', position: 'Direktur' },
    ],
    lastChangedAt: '2025-11-03T02:15:00Z',
  })
})

t.test('an NIB OSS does not know answers 404 NIB_NOT_FOUND', async (t) => {
  const app = await ossStub(t)
  for (const nib of [NIB.ossUnknown, '8129999999999']) {
    const response = await app.inject({ url: `/oss/v1/businesses/${nib}` })
    t.equal(response.statusCode, 404, nib)
    t.equal(response.json().error, 'NIB_NOT_FOUND')
    t.type(response.json().message, 'string')
  }
})

t.test('a malformed NIB answers 400 INVALID_NIB', async (t) => {
  const app = await ossStub(t)
  for (const nib of ['812000000000', '81200000000011', '812000000000x', '8120-000000001']) {
    const response = await app.inject({ url: `/oss/v1/businesses/${nib}` })
    t.equal(response.statusCode, 400, nib)
    t.equal(response.json().error, 'INVALID_NIB')
  }
})

t.test('x-request-id is echoed, or generated when absent', async (t) => {
  const app = await ossStub(t)
  const echoed = await app.inject({ url: `/oss/v1/businesses/${NIB.approved}`, headers: { 'x-request-id': 'req-123' } })
  t.equal(echoed.headers['x-request-id'], 'req-123')
  const generated = await app.inject({ url: `/oss/v1/businesses/${NIB.approved}` })
  t.match(generated.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const notFound = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'req-404' } })
  t.equal(notFound.statusCode, 404)
  t.equal(notFound.headers['x-request-id'], 'req-404')
  t.equal(notFound.json().error, 'NOT_FOUND')
})

t.test('the oss section scripts OSS misbehaviour too (slow)', async (t) => {
  const app = await ossStub(t)
  const started = performance.now()
  const response = await app.inject({ url: `/oss/v1/businesses/${NIB.ossSlow}` })
  const elapsed = performance.now() - started
  t.equal(response.statusCode, 200)
  t.ok(elapsed >= 2000 * TIME_SCALE - 1, `took ${elapsed.toFixed(1)} ms, expected at least ${2000 * TIME_SCALE}`)
})
