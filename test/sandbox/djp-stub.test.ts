import t from 'tap'
import { buildDjpStub } from '../../src/sandbox/djp-stub.ts'
import { fixtureStore, TIME_SCALE, type Teardown } from './helpers.ts'

async function djpStub(t: Teardown) {
  const app = await buildDjpStub({ identities: await fixtureStore(), timeScale: TIME_SCALE })
  t.teardown(() => app.close())
  return app
}

t.test('a taxpayer in good standing is VALID', async (t) => {
  const app = await djpStub(t)
  const response = await app.inject({ url: '/kswp/v1/taxpayers/010000000001000' })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.match(body, { npwp: '010000000001000', status: 'VALID', taxpayerName: 'PT SANDBOX IMPOR SEJAHTERA' })
  t.notOk('reason' in body, 'no reason when VALID')
  t.ok(!Number.isNaN(Date.parse(body.confirmedAt)), 'confirmedAt is a timestamp')
})

t.test('16-digit NPWPs and NPWP-only identities are looked up too', async (t) => {
  const app = await djpStub(t)
  const exporter = await app.inject({ url: '/kswp/v1/taxpayers/0010000000010000' })
  t.equal(exporter.statusCode, 200)
  t.equal(exporter.json().taxpayerName, 'PT SANDBOX KOPI EKSPOR NUSANTARA')
  const foundation = await app.inject({ url: '/kswp/v1/taxpayers/010000000012000' })
  t.equal(foundation.statusCode, 200)
  t.match(foundation.json(), { status: 'VALID', taxpayerName: 'YAYASAN SANDBOX PEDULI PENDIDIKAN' })
})

t.test('a known NPWP not in good standing is INVALID with a reason', async (t) => {
  const app = await djpStub(t)
  const response = await app.inject({ url: '/kswp/v1/taxpayers/010000000004000' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'INVALID', taxpayerName: 'CV SANDBOX KARYA MANDIRI', reason: /SPT Tahunan/ })
})

t.test('an unknown NPWP answers 404 NPWP_NOT_FOUND', async (t) => {
  const app = await djpStub(t)
  for (const npwp of ['010000000005000', '999999999999999']) {
    const response = await app.inject({ url: `/kswp/v1/taxpayers/${npwp}` })
    t.equal(response.statusCode, 404, npwp)
    t.equal(response.json().error, 'NPWP_NOT_FOUND')
  }
})

t.test('a malformed NPWP answers 400 INVALID_NPWP (formatted ones too)', async (t) => {
  const app = await djpStub(t)
  for (const npwp of ['01000000000100', '01000000000100000', '01.000.000.0-001.000', 'abcdefghijklmno']) {
    const response = await app.inject({ url: `/kswp/v1/taxpayers/${encodeURIComponent(npwp)}` })
    t.equal(response.statusCode, 400, npwp)
    t.equal(response.json().error, 'INVALID_NPWP')
  }
})

t.test('the djp section scripts KSWP misbehaviour too (down)', async (t) => {
  const app = await djpStub(t)
  const response = await app.inject({ url: '/kswp/v1/taxpayers/010000000014000' })
  t.equal(response.statusCode, 503)
  t.equal(response.json().error, 'SERVICE_UNAVAILABLE')
})
