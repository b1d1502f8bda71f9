import t from 'tap'
import { buildDjpStub } from '../../src/sandbox/djp-stub.ts'
import { buildInatradeStub } from '../../src/sandbox/inatrade-stub.ts'
import { buildOssStub } from '../../src/sandbox/oss-stub.ts'
import { applicationBody, fixtureStore, NIB, sleep, startCallbackReceiver, TIME_SCALE, type Teardown } from './helpers.ts'

async function stubs(t: Teardown) {
  const identities = await fixtureStore()
  const oss = await buildOssStub({ identities, timeScale: TIME_SCALE })
  const djp = await buildDjpStub({ identities, timeScale: TIME_SCALE })
  const inatrade = await buildInatradeStub({ identities, timeScale: TIME_SCALE })
  t.teardown(() => Promise.all([oss.close(), djp.close(), inatrade.close()]))
  return { oss, djp, inatrade }
}

const newcomer = {
  nib: '8120000000077',
  label: 'Added at run time',
  oss: {
    found: true,
    name: 'PT Sandbox Pendatang Baru',
    legalForm: 'PT',
    businessTypes: ['IMPORTER'],
    address: { street: 'Jl. Merdeka No. 7', city: 'Kota Bogor', province: 'Jawa Barat', postalCode: '16121' },
    kbli: [{ code: '46900', title: 'Perdagangan Besar Berbagai Macam Barang' }],
    personsInCharge: [{ name: 'Taufik Hidayat', nik: '3271000505850077', position: 'Direktur Utama' }],
    lastChangedAt: '2026-01-01T00:00:00Z',
  },
  npwp: '010000000077000',
  djp: { status: 'INVALID', reason: 'NPWP tidak aktif' },
}

t.test('the journal records upstream requests in order, not control requests', async (t) => {
  const { oss } = await stubs(t)
  await oss.inject({ url: `/oss/v1/businesses/${NIB.approved}`, headers: { 'x-request-id': 'first' } })
  await oss.inject({ url: '/oss/v1/businesses/123' })
  await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, payload: newcomer })
  const journal = (await oss.inject({ url: '/__sandbox/requests' })).json()
  t.equal(journal.length, 2)
  t.match(journal[0], { method: 'GET', url: `/oss/v1/businesses/${NIB.approved}`, headers: { 'x-request-id': 'first' }, statusCode: 200 })
  t.ok(!Number.isNaN(Date.parse(journal[0].at)))
  t.match(journal[1], { url: '/oss/v1/businesses/123', statusCode: 400 })

  t.equal((await oss.inject({ method: 'DELETE', url: '/__sandbox/requests' })).statusCode, 204)
  t.same((await oss.inject({ url: '/__sandbox/requests' })).json(), [])
})

t.test('the journal keeps request bodies', async (t) => {
  const { inatrade } = await stubs(t)
  const body = applicationBody('http://127.0.0.1:9/cb')
  await inatrade.inject({ method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': 'journal' }, payload: body })
  const [entry] = (await inatrade.inject({ url: '/__sandbox/requests' })).json()
  t.same(entry.body, body)
  t.equal(entry.headers['idempotency-key'], 'journal')
  t.equal(entry.statusCode, 202)
})

t.test('PUT an identity: seen by every stub sharing the store', async (t) => {
  const { oss, djp, inatrade } = await stubs(t)
  t.equal((await oss.inject({ url: `/oss/v1/businesses/${newcomer.nib}` })).statusCode, 404)

  const created = await djp.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, payload: newcomer })
  t.equal(created.statusCode, 201)
  t.same(created.json(), newcomer)

  const profile = await oss.inject({ url: `/oss/v1/businesses/${newcomer.nib}` })
  t.equal(profile.statusCode, 200)
  t.equal(profile.json().name, 'PT Sandbox Pendatang Baru')
  t.match((await djp.inject({ url: `/kswp/v1/taxpayers/${newcomer.npwp}` })).json(), { status: 'INVALID', taxpayerName: 'PT Sandbox Pendatang Baru', reason: 'NPWP tidak aktif' })
  t.match((await inatrade.inject({ url: `/__sandbox/identities/${newcomer.nib}` })).json(), { label: 'Added at run time' })

  const replaced = await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, payload: {
    ...newcomer, oss: { found: false }, djp: { ...newcomer.djp, taxpayerName: 'PT SANDBOX PENDATANG BARU' },
  } })
  t.equal(replaced.statusCode, 200, replaced.body)
  t.equal((await oss.inject({ url: `/oss/v1/businesses/${newcomer.nib}` })).statusCode, 404)
})

t.test('PUT scripts an existing identity\'s mode at run time', async (t) => {
  const { inatrade } = await stubs(t)
  const identity = (await inatrade.inject({ url: `/__sandbox/identities/${NIB.approved}` })).json()
  const put = await inatrade.inject({ method: 'PUT', url: `/__sandbox/identities/${NIB.approved}`, payload: { ...identity, inatrade: { mode: 'down' } } })
  t.equal(put.statusCode, 200)
  const response = await inatrade.inject({
    method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': 'k' }, payload: applicationBody('http://127.0.0.1:9/cb'),
  })
  t.equal(response.statusCode, 503)
})

t.test('PUT refuses invalid identities, key mismatches and NPWP clashes', async (t) => {
  const { oss } = await stubs(t)
  const invalid = await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, payload: { ...newcomer, djp: { status: 'WRONG' } } })
  t.equal(invalid.statusCode, 400)
  t.equal(invalid.json().error, 'INVALID_IDENTITY')
  t.match(invalid.json().message, '/djp/status must be one of')

  const notJson = await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, headers: { 'content-type': 'application/json' }, payload: '{' })
  t.equal(notJson.statusCode, 400)
  t.equal(notJson.json().error, 'INVALID_IDENTITY')

  const mismatch = await oss.inject({ method: 'PUT', url: '/__sandbox/identities/8120000000078', payload: newcomer })
  t.equal(mismatch.statusCode, 400)
  t.equal(mismatch.json().error, 'IDENTITY_KEY_MISMATCH')

  const clash = await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, payload: { ...newcomer, npwp: '010000000001000' } })
  t.equal(clash.statusCode, 409)
  t.equal(clash.json().error, 'NPWP_IN_USE')

  const foundation = { label: 'Yayasan baru', npwp: '010000000076000', djp: { status: 'VALID', taxpayerName: 'YAYASAN BARU' } }
  t.equal((await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${foundation.npwp}`, payload: foundation })).statusCode, 201, 'an identity without NIB is keyed by NPWP')
})

t.test('reset: fixtures back, journal empty, applications and keys forgotten, callbacks cancelled', async (t) => {
  const receiver = await startCallbackReceiver(t)
  const { oss, inatrade } = await stubs(t)
  await oss.inject({ method: 'PUT', url: `/__sandbox/identities/${newcomer.nib}`, payload: newcomer })
  const submit = () => inatrade.inject({
    method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': 'reset-key' }, payload: applicationBody(receiver.url),
  })
  const before = await submit()
  t.equal(before.statusCode, 202)

  t.equal((await inatrade.inject({ method: 'POST', url: '/__sandbox/reset' })).statusCode, 204)

  t.same((await inatrade.inject({ url: '/__sandbox/requests' })).json(), [], 'journal emptied')
  t.equal((await inatrade.inject({ url: `/inatrade/v1/applications/${before.json().inatradeId}` })).statusCode, 404, 'application forgotten')
  t.equal((await oss.inject({ url: `/oss/v1/businesses/${newcomer.nib}` })).statusCode, 404, 'run-time identity gone, for every stub')
  t.equal((await oss.inject({ url: `/oss/v1/businesses/${NIB.approved}` })).statusCode, 200, 'fixtures back')
  await sleep((2000 + 3000) * TIME_SCALE * 2)
  t.equal(receiver.attempts.length, 0, 'the cancelled timetable sent nothing')

  const after = await submit()
  t.equal(after.statusCode, 202, 'the key is free again')
  t.not(after.json().inatradeId, before.json().inatradeId)
  await receiver.waitFor(2)
  t.same(receiver.received.map((callback) => callback.body.inatradeId), [after.json().inatradeId, after.json().inatradeId])
})

t.test('GET identities lists the fixtures', async (t) => {
  const { djp } = await stubs(t)
  const list = (await djp.inject({ url: '/__sandbox/identities' })).json()
  t.ok(list.length >= 12)
  t.equal((await djp.inject({ url: '/__sandbox/identities/8129999999999' })).json().error, 'IDENTITY_NOT_FOUND')
})
